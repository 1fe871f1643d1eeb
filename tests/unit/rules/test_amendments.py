"""Changes and cancellations (15 CFR 700.16)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sosa.rules import (
    Amendment,
    AmendmentKind,
    Outcome,
    PartnerRegistry,
    RequestFacts,
    RequestStatus,
    RuleId,
    decide_amendment,
)

from .builders import DOD, INDIA_MOD, INDIAN_FIRM, make_request, partner_routed, routed, utc

R = RuleId
K = AmendmentKind
NOW = utc(2026, 7, 8, 14)  # Wednesday 8 July 2026
NEW_YORK = ZoneInfo("America/New_York")


def dpas(rating: str = "DO-A1", status: RequestStatus = RequestStatus.ACCEPTED) -> RequestFacts:
    return replace(routed(make_request(rating=rating)), status=status)


def amend(kind: AmendmentKind, **kw: Any) -> Amendment:
    return Amendment(kind=kind, issued_by=DOD.party_id, **kw)


def test_700_16_c_significant_schedule_change_is_a_new_rated_order_with_new_clock() -> None:
    facts = dpas("DX-A1")
    decision = decide_amendment(
        facts, amend(K.SCHEDULE_CHANGE, new_delivery_dates=("2026-08-03",)), now=NOW
    )
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert decision.rule_ids == (
        R.DPAS_700_16_C_NEW_RATED_ORDER,
        R.DPAS_700_13_D1_DX_10_WORKING_DAYS,
    )
    assert decision.clock_started_at == NOW
    assert decision.deadline == datetime(2026, 7, 22, 23, 59, 59, tzinfo=NEW_YORK)
    assert decision.required_delivery_dates == (date(2026, 8, 3),)
    assert facts.updated(decision).status is RequestStatus.ROUTED


def test_700_16_c_new_dates_must_be_specific() -> None:
    decision = decide_amendment(
        dpas(), amend(K.SCHEDULE_CHANGE, new_delivery_dates=("ASAP",)), now=NOW
    )
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REFUSED,
        (R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC,),
    )


MINOR = [
    K.SHIPPING_DESTINATION,
    K.QUANTITY_REDUCTION,
    K.QUANTITY_INCREASE_NEGLIGIBLE,
    K.MINOR_DESIGN_VARIATION,
    K.AGREED_CHANGE,
]


@pytest.mark.parametrize("kind", MINOR, ids=[str(k) for k in MINOR])
def test_700_16_d_minor_changes_are_not_a_new_rated_order(kind: AmendmentKind) -> None:
    facts = dpas()
    decision = decide_amendment(facts, amend(kind), now=NOW)
    assert decision.outcome is Outcome.AMENDED
    assert decision.rule_ids == (R.DPAS_700_16_D_NOT_NEW_ORDER,)
    assert decision.deadline == facts.deadline
    assert decision.clock_started_at == facts.clock_started_at
    assert facts.updated(decision).status is RequestStatus.ACCEPTED


def test_700_16_d_agreed_change_may_move_dates_without_new_clock() -> None:
    decision = decide_amendment(
        dpas(), amend(K.AGREED_CHANGE, new_delivery_dates=("2026-09-15",)), now=NOW
    )
    assert decision.outcome is Outcome.AMENDED
    assert decision.required_delivery_dates == (date(2026, 9, 15),)


def test_700_16_d_design_variation_after_production_start_is_not_minor() -> None:
    decision = decide_amendment(
        dpas(), amend(K.MINOR_DESIGN_VARIATION, production_started=True), now=NOW
    )
    assert decision.rule_ids == (R.DPAS_700_16_D4_AFTER_PRODUCTION_START,)


def test_700_16_b_do_to_dx_changes_priority_from_receipt_of_change() -> None:
    facts = dpas("DO-A1")
    decision = decide_amendment(facts, amend(K.RATING_CHANGE, new_rating="DX-A1"), now=NOW)
    assert decision.outcome is Outcome.AMENDED
    assert str(decision.rating) == "DX-A1"
    assert decision.priority_effective_at == NOW
    assert decision.rule_ids == (
        R.DPAS_700_16_B_PRIORITY_FROM_RECEIPT,
        R.DPAS_700_11_PRIORITY_LEVEL,
        R.DPAS_700_16_F_NOTIFY_SUPPLIERS,
    )
    assert facts.updated(decision).rating == decision.rating


def test_700_16_a_downgrade_is_a_rating_change() -> None:
    decision = decide_amendment(dpas("DX-A1"), amend(K.RATING_CHANGE, new_rating="DO-A1"), now=NOW)
    assert decision.rule_ids[0] is R.DPAS_700_16_A_RATING_CHANGED


def test_700_16_a_rating_change_needs_a_valid_rating() -> None:
    decision = decide_amendment(dpas(), amend(K.RATING_CHANGE, new_rating="DX"), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_12_A1_RATING_MALFORMED,)


def test_700_16_a_only_the_placing_party_or_commerce_may_change() -> None:
    stranger = Amendment(kind=K.CANCELLATION, issued_by="someone-else")
    assert decide_amendment(dpas(), stranger, now=NOW).rule_ids == (R.DPAS_700_16_A_WHO_MAY_CHANGE,)
    commerce = Amendment(kind=K.CANCELLATION, issued_by="doc-bis", by_commerce=True)
    assert decide_amendment(dpas(), commerce, now=NOW).outcome is Outcome.CANCELLED


def test_700_16_a_partner_rating_is_changed_by_commerce_only() -> None:
    facts = partner_routed()
    by_partner = Amendment(kind=K.RATING_CHANGE, issued_by=INDIA_MOD.party_id, new_rating="DX-G2")
    assert decide_amendment(facts, by_partner, now=NOW).rule_ids == (
        R.DPAS_700_16_A_WHO_MAY_CHANGE,
    )
    by_commerce = Amendment(
        kind=K.RATING_CHANGE, issued_by="doc-bis", by_commerce=True, new_rating="DX-G2"
    )
    assert decide_amendment(facts, by_commerce, now=NOW).outcome is Outcome.AMENDED


def test_700_16_e_cancellation_of_rated_order() -> None:
    decision = decide_amendment(dpas(), amend(K.CANCELLATION), now=NOW)
    assert decision.outcome is Outcome.CANCELLED
    assert decision.rule_ids == (R.DPAS_700_16_E_CANCELLED, R.DPAS_700_16_F_NOTIFY_SUPPLIERS)


def test_sosa_request_withdrawn_before_it_is_rated() -> None:
    facts = routed(make_request(requester=INDIA_MOD, rating=None))
    decision = decide_amendment(
        facts, Amendment(kind=K.CANCELLATION, issued_by=INDIA_MOD.party_id), now=NOW
    )
    assert (decision.outcome, decision.rule_ids) == (Outcome.CANCELLED, (R.SOSA_REQUEST_WITHDRAWN,))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (RequestStatus.CANCELLED, K.CANCELLATION),
        (RequestStatus.REJECTED, K.SCHEDULE_CHANGE),
        (RequestStatus.AWAITING_DETERMINATION, K.SCHEDULE_CHANGE),
        (RequestStatus.DECLINED, K.AGREED_CHANGE),
    ],
    ids=["cancel-cancelled", "amend-rejected", "amend-awaiting", "amend-declined"],
)
def test_amendment_refused_in_closed_states(status: RequestStatus, kind: AmendmentKind) -> None:
    assert decide_amendment(dpas(status=status), amend(kind), now=NOW).rule_ids == (
        R.COMMAND_WRONG_STATE,
    )


def test_700_16_counter_offer_answered_by_amending_the_date() -> None:
    facts = dpas(status=RequestStatus.COUNTER_OFFERED)
    decision = decide_amendment(
        facts, amend(K.SCHEDULE_CHANGE, new_delivery_dates=("2026-10-01",)), now=NOW
    )
    assert facts.updated(decision).status is RequestStatus.ROUTED


def voluntary() -> RequestFacts:
    return routed(make_request(supplier=INDIAN_FIRM))


def test_sosa_voluntary_amendment_is_relayed_through_the_liaison() -> None:
    minor = decide_amendment(voluntary(), amend(K.SHIPPING_DESTINATION), now=NOW)
    assert (minor.outcome, minor.rule_ids) == (Outcome.AMENDED, (R.SOSA_VOLUNTARY_AMENDED,))
    change = decide_amendment(
        voluntary(), amend(K.SCHEDULE_CHANGE, new_delivery_dates=("2026-10-01",)), now=NOW
    )
    assert change.outcome is Outcome.VOLUNTARY_REQUEST
    assert change.deadline is None


def test_sosa_voluntary_schedule_change_restarts_partner_target() -> None:
    registry = PartnerRegistry.from_dict(
        {
            "partners": [
                {
                    "country": "IN",
                    "name": "India",
                    "signed": "2024-08-22",
                    "liaison": {"party_id": "liaison-in", "office": "India MoD"},
                    "response_target": {"hours": 72},
                }
            ]
        }
    )
    decision = decide_amendment(voluntary(), amend(K.SCHEDULE_CHANGE), now=NOW, registry=registry)
    assert decision.deadline == utc(2026, 7, 11, 14)
    assert decision.rule_ids == (R.SOSA_VOLUNTARY_AMENDED, R.SOSA_VOLUNTARY_TARGET)


def test_700_57_a_no_rating_to_change_on_a_voluntary_request() -> None:
    decision = decide_amendment(voluntary(), amend(K.RATING_CHANGE, new_rating="DX-A1"), now=NOW)
    assert decision.rule_ids == (R.DPAS_700_57_A_NO_FORCE_ABROAD,)


def test_sosa_voluntary_amendment_dates_are_checked() -> None:
    decision = decide_amendment(
        voluntary(), amend(K.SCHEDULE_CHANGE, new_delivery_dates=("soon",)), now=NOW
    )
    assert decision.rule_ids == (R.DPAS_700_12_A2_DELIVERY_DATE_INVALID,)
