"""Supplier answers: 15 CFR 700.13 on the DPAS paths, Code-of-Conduct answers when voluntary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sosa.rules import (
    Outcome,
    Path,
    RejectionReason,
    RequestFacts,
    RequestStatus,
    ResponseKind,
    RuleId,
    SupplierResponse,
    decide_overdue,
    decide_response,
)

from .builders import INDIAN_FIRM, emergency, make_request, partner_routed, routed, utc

R = RuleId
NOW = utc(2026, 7, 1, 12)  # before every deadline below
LATER = date(2026, 10, 1)  # after the required date 2026-09-01


def dpas(rating: str = "DO-A1") -> RequestFacts:
    return routed(make_request(rating=rating))


def reject(reason: str | None, earliest: date | None = None, **kw: Any) -> SupplierResponse:
    return SupplierResponse(
        kind=ResponseKind.REJECT, reason=reason, earliest_delivery_date=earliest, **kw
    )


def test_700_13_a1_supplier_accepts_rated_order() -> None:
    decision = decide_response(dpas(), SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW)
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.rule_ids == (R.DPAS_700_13_A1_ACCEPTED,)
    assert not decision.late


MANDATORY_CASES = [
    (
        "b1",
        "MR_B1_CANNOT_MEET_DATE",
        "DO-A1",
        R.DPAS_700_13_B1_CANNOT_MEET_DATE,
        R.DPAS_700_13_B1_REQUIRES_EARLIEST_DATE,
    ),
    (
        "b2",
        "MR_B2_DO_CONFLICTS_PRIOR_RATED",
        "DO-A1",
        R.DPAS_700_13_B2_DO_CONFLICTS_PRIOR_RATED,
        R.DPAS_700_13_B2_REQUIRES_EARLIEST_DATE,
    ),
    (
        "b3",
        "MR_B3_DX_CONFLICTS_PRIOR_DX",
        "DX-A1",
        R.DPAS_700_13_B3_DX_CONFLICTS_PRIOR_DX,
        R.DPAS_700_13_B3_REQUIRES_EARLIEST_DATE,
    ),
    (
        "b4",
        "MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY",
        "DX-A1",
        R.DPAS_700_13_B4_SAME_DAY_CAPACITY,
        R.DPAS_700_13_B4_REQUIRES_EARLIEST_DATE,
    ),
]


@pytest.mark.parametrize(
    ("reason", "rating", "fired", "_needs"),
    [c[1:] for c in MANDATORY_CASES],
    ids=[c[0] for c in MANDATORY_CASES],
)
def test_700_13_b_mandatory_rejection_with_earliest_date_is_a_counter_offer(
    reason: str, rating: str, fired: RuleId, _needs: RuleId
) -> None:
    decision = decide_response(dpas(rating), reject(reason, LATER), now=NOW)
    assert decision.outcome is Outcome.COUNTER_OFFERED
    assert decision.rule_ids == (fired,)
    assert decision.offered_date == LATER
    assert str(LATER) in decision.findings[0].reason


@pytest.mark.parametrize(
    ("reason", "rating", "_fired", "needs"),
    [c[1:] for c in MANDATORY_CASES],
    ids=[c[0] for c in MANDATORY_CASES],
)
def test_700_13_b_mandatory_rejection_requires_earliest_date(
    reason: str, rating: str, _fired: RuleId, needs: RuleId
) -> None:
    decision = decide_response(dpas(rating), reject(reason), now=NOW)
    assert decision.outcome is Outcome.REFUSED
    assert decision.rule_ids == (needs,)
    assert decision.findings[0].blocking


def test_700_13_b1_requires_earliest_date() -> None:
    decision = decide_response(dpas(), reject("B1"), now=NOW)
    assert decision.outcome is Outcome.REFUSED
    assert decision.findings[0].citation == "15 CFR 700.13(b)(1)"
    assert "earliest date" in decision.findings[0].reason


def test_700_13_b_earliest_date_must_be_later_than_required() -> None:
    decision = decide_response(dpas(), reject("B1", date(2026, 9, 1)), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_13_B_EARLIEST_DATE_NOT_LATER,)


def test_700_13_b2_is_for_do_orders_only() -> None:
    decision = decide_response(dpas("DX-A1"), reject("B2", LATER), now=NOW)
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REFUSED,
        (R.DPAS_700_13_B2_ONLY_FOR_DO,),
    )


def test_700_13_b3_is_for_dx_orders_only() -> None:
    decision = decide_response(dpas("DO-A1"), reject("B3", LATER), now=NOW)
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REFUSED,
        (R.DPAS_700_13_B3_ONLY_FOR_DX,),
    )


def test_700_13_b1_conflict_with_unrated_or_lower_rated_is_refused() -> None:
    for reason in ("CONFLICT_WITH_UNRATED_OR_LOWER_RATED", "conflict"):
        decision = decide_response(dpas(), reject(reason, LATER), now=NOW)
        assert decision.outcome is Outcome.REFUSED
        assert decision.rule_ids == (R.DPAS_700_13_B1_LOWER_RATED_CONFLICT_INVALID,)


OPTIONAL_CASES = [
    ("c1", "OR_C1_TERMS_OF_SALE_OR_PAYMENT", R.DPAS_700_13_C1_TERMS_OF_SALE),
    ("c2", "OR_C2_ITEM_OR_SERVICE_NOT_OFFERED", R.DPAS_700_13_C2_NOT_OFFERED),
    ("c3", "OR_C3_OWN_USE_ITEM", R.DPAS_700_13_C3_OWN_USE),
    ("c5", "OR_C5_WOULD_VIOLATE_DOC_ORDER", R.DPAS_700_13_C5_VIOLATES_COMMERCE_ORDER),
    ("c2-short", "c2", R.DPAS_700_13_C2_NOT_OFFERED),
]


@pytest.mark.parametrize(
    ("reason", "fired"), [c[1:] for c in OPTIONAL_CASES], ids=[c[0] for c in OPTIONAL_CASES]
)
def test_700_13_c_optional_rejection_is_recorded(reason: str, fired: RuleId) -> None:
    decision = decide_response(dpas(), reject(reason, explanation="we make valves only"), now=NOW)
    assert decision.outcome is Outcome.REJECTED_BY_SUPPLIER
    assert decision.rule_ids == (fired, R.DPAS_700_13_C_NON_DISCRIMINATION)
    assert "we make valves only" in decision.findings[0].reason


def test_700_13_c4_not_available_against_the_us_government() -> None:
    decision = decide_response(dpas(), reject("OR_C4_CUSTOMER_SELF_SUPPLIES"), now=NOW)
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REFUSED,
        (R.DPAS_700_13_C4_NOT_FOR_US_GOVERNMENT,),
    )


def test_700_13_c4_available_against_a_foreign_customer() -> None:
    facts = partner_routed()
    decision = decide_response(facts, reject("C4"), now=NOW)
    assert decision.outcome is Outcome.REJECTED_BY_SUPPLIER
    assert R.DPAS_700_13_C4_CUSTOMER_SELF_SUPPLIES in decision.rule_ids


@pytest.mark.parametrize("reason", [None, "", "  "], ids=["none", "empty", "blank"])
def test_700_13_d1_rejection_needs_a_reason(reason: str | None) -> None:
    decision = decide_response(dpas(), reject(reason), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_13_D1_REJECTION_NEEDS_REASON,)


@pytest.mark.parametrize("reason", ["capacity", "busy", "MR_B9"], ids=["capacity", "busy", "b9"])
def test_700_13_unlisted_reason_is_refused(reason: str) -> None:
    decision = decide_response(dpas(), reject(reason, LATER), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_13_REASON_NOT_LISTED,)


@pytest.mark.parametrize(
    "kind", [ResponseKind.DECLINE, ResponseKind.PARTIAL], ids=["decline", "partial"]
)
def test_700_13_a1_rated_order_cannot_be_declined_or_partly_accepted(kind: ResponseKind) -> None:
    decision = decide_response(dpas(), SupplierResponse(kind=kind, explanation="no"), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_13_A1_NO_VOLUNTARY_ANSWERS,)


def test_700_13_d1_answer_after_deadline_is_marked_late() -> None:
    facts = dpas()
    assert facts.deadline is not None
    decision = decide_response(
        facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=facts.deadline + timedelta(seconds=1)
    )
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.late
    assert decision.rule_ids == (R.DPAS_700_13_A1_ACCEPTED, R.DPAS_700_13_D1_RESPONSE_LATE)
    on_time = decide_response(facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=facts.deadline)
    assert not on_time.late


def test_700_13_e_answer_after_emergency_time_limit_is_marked_late() -> None:
    facts = routed(make_request(emergency_preparedness=emergency(6, "occurred")))
    assert facts.deadline is not None
    assert facts.emergency_hours == 6
    decision = decide_response(
        facts, reject("B1", LATER), now=facts.deadline + timedelta(minutes=1)
    )
    assert decision.outcome is Outcome.COUNTER_OFFERED
    assert decision.late
    assert R.DPAS_700_13_E_EP_RESPONSE_LATE in decision.rule_ids


def test_700_13_answer_on_overdue_request_is_still_recorded() -> None:
    facts = replace(dpas(), status=RequestStatus.OVERDUE)
    decision = decide_response(
        facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=utc(2026, 8, 1)
    )
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.late


@pytest.mark.parametrize(
    "status",
    [
        RequestStatus.AWAITING_DETERMINATION,
        RequestStatus.ACCEPTED,
        RequestStatus.CANCELLED,
        RequestStatus.REJECTED,
    ],
)
def test_response_refused_when_request_is_not_waiting_for_one(status: RequestStatus) -> None:
    decision = decide_response(
        replace(dpas(), status=status), SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW
    )
    assert decision.rule_ids == (R.COMMAND_WRONG_STATE,)


def test_response_refused_on_a_request_with_no_path() -> None:
    facts = replace(dpas(), path=Path.NONE)
    decision = decide_response(facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW)
    assert decision.rule_ids == (R.COMMAND_WRONG_PATH,)


def test_rejection_reason_codes_parse() -> None:
    assert RejectionReason.parse("mr_b1_cannot_meet_date") is RejectionReason.B1_CANNOT_MEET_DATE
    assert RejectionReason.parse("B4_SAME_DAY_CAPACITY") is RejectionReason.B4_SAME_DAY_CAPACITY
    assert RejectionReason.parse("C5") is RejectionReason.C5_VIOLATES_COMMERCE_ORDER
    assert RejectionReason.parse("D1") is None


# Voluntary path (Codes of Conduct; rulebook section 7.4)


def voluntary(signatory: bool | None = True) -> RequestFacts:
    return routed(make_request(supplier=replace(INDIAN_FIRM, code_of_conduct_signatory=signatory)))


def test_sosa_voluntary_accept() -> None:
    decision = decide_response(voluntary(), SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW)
    assert (decision.outcome, decision.rule_ids) == (Outcome.ACCEPTED, (R.SOSA_VOLUNTARY_ACCEPTED,))


PARTIAL_CASES = [
    ("quantity", Decimal(40), None),
    ("date", None, date(2026, 11, 1)),
    ("both", Decimal("12.5"), date(2026, 11, 1)),
]


@pytest.mark.parametrize(
    ("quantity", "offered"), [c[1:] for c in PARTIAL_CASES], ids=[c[0] for c in PARTIAL_CASES]
)
def test_sosa_voluntary_partial_by_quantity_and_or_date(
    quantity: Decimal | None, offered: date | None
) -> None:
    response = SupplierResponse(
        kind=ResponseKind.PARTIAL, accepted_quantity=quantity, offered_date=offered
    )
    decision = decide_response(voluntary(), response, now=NOW)
    assert decision.outcome is Outcome.PARTIALLY_ACCEPTED
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_PARTIAL,)
    assert (decision.offered_quantity, decision.offered_date) == (quantity, offered)


@pytest.mark.parametrize("quantity", [None, Decimal(0)], ids=["nothing", "zero"])
def test_sosa_voluntary_partial_needs_terms(quantity: Decimal | None) -> None:
    response = SupplierResponse(kind=ResponseKind.PARTIAL, accepted_quantity=quantity)
    decision = decide_response(voluntary(), response, now=NOW)
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_PARTIAL_NEEDS_TERMS,)


def test_sosa_voluntary_decline_with_free_text() -> None:
    response = SupplierResponse(
        kind=ResponseKind.DECLINE,
        explanation="Line fully booked for a domestic order",
        reasonable_effort="Offered a second shift; no staff",
    )
    decision = decide_response(voluntary(True), response, now=NOW)
    assert decision.outcome is Outcome.DECLINED
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_DECLINED, R.SOSA_COC_EVERY_REASONABLE_EFFORT)
    assert "second shift" in decision.findings[1].reason


def test_sosa_voluntary_signatory_decline_without_effort_is_noted() -> None:
    response = SupplierResponse(kind=ResponseKind.DECLINE, explanation="No capacity")
    decision = decide_response(voluntary(True), response, now=NOW)
    assert "documented no effort" in decision.findings[1].reason


def test_sosa_voluntary_non_signatory_decline_has_no_effort_note() -> None:
    response = SupplierResponse(kind=ResponseKind.DECLINE, explanation="No capacity")
    decision = decide_response(voluntary(False), response, now=NOW)
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_DECLINED,)


def test_sosa_voluntary_decline_needs_text() -> None:
    decision = decide_response(
        voluntary(), SupplierResponse(kind=ResponseKind.DECLINE, explanation=" "), now=NOW
    )
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_DECLINE_NEEDS_TEXT,)


def test_sosa_voluntary_no_dpas_rejection_codes() -> None:
    decision = decide_response(voluntary(), reject("MR_B1_CANNOT_MEET_DATE", LATER), now=NOW)
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REFUSED,
        (R.SOSA_VOLUNTARY_NO_DPAS_REASONS,),
    )


def test_sosa_voluntary_answer_after_target_is_noted_not_enforced() -> None:
    facts = replace(voluntary(), deadline=utc(2026, 7, 1))
    decision = decide_response(facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW)
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.late
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_ACCEPTED, R.SOSA_VOLUNTARY_TARGET_MISSED)


# Silence past the deadline


def test_700_13_d1_silence_is_overdue_never_acceptance() -> None:
    facts = dpas()
    assert facts.deadline is not None
    decision = decide_overdue(facts, now=facts.deadline + timedelta(seconds=1))
    assert decision.outcome is Outcome.OVERDUE
    assert decision.rule_ids == (R.DPAS_700_13_D1_NO_SILENT_ACCEPTANCE,)


def test_700_13_e_silence_on_an_emergency_order_is_overdue_under_its_own_paragraph() -> None:
    facts = routed(make_request(emergency_preparedness=emergency(6, "occurred")))
    assert facts.deadline is not None
    decision = decide_overdue(facts, now=facts.deadline + timedelta(seconds=1))
    assert decision.outcome is Outcome.OVERDUE
    assert decision.rule_ids == (R.DPAS_700_13_E_EP_NO_SILENT_ACCEPTANCE,)
    assert decision.findings[0].citation.endswith("700.13(e)")
    assert "6 hours" in decision.findings[0].reason


def test_700_13_d1_not_overdue_before_the_deadline() -> None:
    facts = dpas()
    decision = decide_overdue(facts, now=NOW)
    assert (decision.outcome, decision.rule_ids) == (Outcome.REFUSED, (R.COMMAND_WRONG_STATE,))
    no_clock = decide_overdue(voluntary(), now=NOW)
    assert no_clock.outcome is Outcome.REFUSED
    assert "never" in no_clock.findings[0].reason


def test_sosa_voluntary_missed_target_escalates_to_liaison() -> None:
    facts = replace(voluntary(), deadline=utc(2026, 7, 1))
    decision = decide_overdue(facts, now=NOW)
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.OVERDUE,
        (R.SOSA_VOLUNTARY_TARGET_MISSED,),
    )
    assert "liaison-in" in decision.findings[0].reason


def test_overdue_only_from_routed() -> None:
    facts = replace(dpas(), status=RequestStatus.ACCEPTED)
    assert decide_overdue(facts, now=utc(2027, 1, 1)).rule_ids == (R.COMMAND_WRONG_STATE,)


def test_commands_need_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_response(
            dpas(), SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW.replace(tzinfo=None)
        )
