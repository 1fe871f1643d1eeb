"""The answers a supplier's form offers: exactly those `decide_response` takes on the path."""

from __future__ import annotations

from datetime import date

import pytest

from sosa.rules import (
    Outcome,
    Path,
    RejectionReason,
    RequestFacts,
    ResponseKind,
    SupplierResponse,
    decide_response,
)
from sosa.rules.answer_options import answer_options, paragraph

from .builders import INDIAN_FIRM, make_request, partner_routed, routed, utc

NOW = utc(2026, 7, 1, 12)
LATER = date(2026, 12, 1)  # after every required date of the builders


def _options(facts: RequestFacts) -> set[str]:
    options = answer_options(
        facts.path,
        level=facts.rating.level if facts.rating else None,
        requester_kind=facts.requester.kind,
    )
    return {reason.code for reason in options.reasons}


def _taken(facts: RequestFacts, reason: RejectionReason) -> bool:
    answer = SupplierResponse(
        kind=ResponseKind.REJECT, reason=reason.value, earliest_delivery_date=LATER
    )
    return decide_response(facts, answer, now=NOW).outcome is not Outcome.REFUSED


@pytest.mark.parametrize(
    "facts",
    [
        routed(make_request(rating="DX-A2")),
        routed(make_request(rating="DO-A1")),
        partner_routed("DO-G2"),  # a partner ministry asks: (c)(4) applies
    ],
    ids=["dod-dx", "dod-do", "partner-do"],
)
def test_the_form_offers_exactly_the_reasons_the_rules_take(facts: RequestFacts) -> None:
    offered = _options(facts)
    assert offered, "a rated order can be rejected"
    for reason in RejectionReason:
        assert (reason.value in offered) == _taken(facts, reason), reason


def test_dx_orders_never_offer_b2_and_us_government_orders_never_c4() -> None:
    offered = _options(routed(make_request(rating="DX-A2")))
    assert RejectionReason.B2_DO_CONFLICTS_PRIOR_RATED.value not in offered
    assert RejectionReason.B3_DX_CONFLICTS_PRIOR_DX.value in offered
    assert RejectionReason.C4_CUSTOMER_SELF_SUPPLIES.value not in offered
    assert RejectionReason.CONFLICT_WITH_LOWER_RATED.value not in offered
    assert RejectionReason.C4_CUSTOMER_SELF_SUPPLIES.value in _options(partner_routed())


def test_b_reasons_ask_for_the_earliest_date_and_c_reasons_do_not() -> None:
    options = answer_options(Path.DPAS, level=None, requester_kind=None)
    assert options.kinds == ("accept", "reject")
    dated = {o.code for o in options.reasons if o.needs_earliest_date}
    assert dated == {
        r.value
        for r in RejectionReason
        if r.name.startswith("B") and r is not RejectionReason.CONFLICT_WITH_LOWER_RATED
    }
    assert paragraph(RejectionReason.B1_CANNOT_MEET_DATE) == "15 CFR 700.13(b)(1)"
    assert paragraph(RejectionReason.C5_VIOLATES_COMMERCE_ORDER) == "15 CFR 700.13(c)(5)"
    assert all(o.paragraph.startswith("15 CFR 700.13(") for o in options.reasons)


def test_the_voluntary_path_offers_no_dpas_code_and_a_decline() -> None:
    facts = routed(make_request(supplier=INDIAN_FIRM, rating=None))
    assert facts.path is Path.VOLUNTARY
    options = answer_options(facts.path, level=None, requester_kind=facts.requester.kind)
    assert options.kinds == ("accept", "partial", "decline")
    assert options.reasons == ()
    assert not answer_options(Path.NONE, level=None, requester_kind=None).kinds
