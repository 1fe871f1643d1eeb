"""Partner requests to US firms: DoD program determination, then Commerce rating authorization."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sosa.rules import (
    Authority,
    Authorization,
    ClockKind,
    Determination,
    Outcome,
    Path,
    Requester,
    RequesterKind,
    RequestFacts,
    RequestStatus,
    RuleId,
    decide_authorization,
    decide_determination,
)

from .builders import INDIA_MOD, emergency, make_request, partner_routed, routed, utc

R = RuleId
NOW = utc(2026, 7, 1, 12)
APPROVE = Determination(approved=True, authority_party_id="dod-ibp", note="DTTI program")
DENY = Determination(approved=False, authority_party_id="dod-ibp", note="not a defense program")


def awaiting_determination(**overrides: Any) -> RequestFacts:
    fields: dict[str, Any] = {"requester": INDIA_MOD, "rating": None, **overrides}
    return routed(make_request(**fields))


def awaiting_authorization(**overrides: Any) -> RequestFacts:
    facts = awaiting_determination(**overrides)
    return facts.updated(decide_determination(facts, APPROVE, now=NOW))


def test_sosa_dod_determination_leads_to_commerce_authorization() -> None:
    facts = awaiting_determination()
    assert facts.status is RequestStatus.AWAITING_DETERMINATION
    decision = decide_determination(facts, APPROVE, now=NOW)
    assert decision.outcome is Outcome.AWAITING_AUTHORIZATION
    assert decision.awaiting is Authority.COMMERCE_RATING_AUTHORIZATION
    assert decision.rule_ids == (R.SOSA_PROGRAM_DETERMINATION_MADE,)
    assert "DTTI program" in decision.findings[0].reason


def test_sosa_dod_determination_denied_rejects_the_request() -> None:
    decision = decide_determination(awaiting_determination(), DENY, now=NOW)
    assert decision.outcome is Outcome.REJECTED
    assert decision.rule_ids == (R.SOSA_PROGRAM_DETERMINATION_DENIED,)
    assert decision.findings[0].blocking


def test_700_57_a_commerce_authorization_makes_a_rated_order_with_a_new_clock() -> None:
    decision = decide_authorization(
        awaiting_authorization(),
        Authorization(authorized=True, authority_party_id="doc-bis", rating="DO-G2"),
        now=NOW,
    )
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert decision.path is Path.DPAS_VIA_SOSA
    assert str(decision.rating) == "DO-G2"
    assert decision.rule_ids == (
        R.SOSA_RATING_AUTHORIZED,
        R.DPAS_700_11_PRIORITY_LEVEL,
        R.DPAS_700_13_D1_DO_15_WORKING_DAYS,
    )
    assert decision.clock_started_at == NOW
    assert decision.priority_effective_at == NOW
    new_york = ZoneInfo("America/New_York")
    assert decision.deadline == datetime(2026, 7, 23, 23, 59, 59, tzinfo=new_york)


def test_700_57_a_authorized_emergency_order_uses_its_hours() -> None:
    facts = awaiting_authorization(emergency_preparedness=emergency(12, "imminent"))
    decision = decide_authorization(
        facts, Authorization(authorized=True, authority_party_id="doc-bis", rating="DX-G2"), now=NOW
    )
    assert decision.clock is ClockKind.EMERGENCY_HOURS
    assert decision.deadline == utc(2026, 7, 2, 0)


def test_sosa_rating_authorization_denied_rejects_the_request() -> None:
    decision = decide_authorization(
        awaiting_authorization(),
        Authorization(authorized=False, authority_party_id="doc-bis", note="no DPA nexus"),
        now=NOW,
    )
    assert (decision.outcome, decision.rule_ids) == (
        Outcome.REJECTED,
        (R.SOSA_RATING_AUTHORIZATION_DENIED,),
    )


@pytest.mark.parametrize(
    ("rating", "rule_id"),
    [
        (None, R.DPAS_700_12_A1_RATING_MISSING),
        ("G2", R.DPAS_700_12_A1_RATING_MALFORMED),
        ("DO-Q1", R.DPAS_700_12_A1_PROGRAM_UNKNOWN),
    ],
    ids=["missing", "malformed", "unknown"],
)
def test_700_12_a1_authorization_must_carry_a_valid_rating(
    rating: str | None, rule_id: RuleId
) -> None:
    decision = decide_authorization(
        awaiting_authorization(),
        Authorization(authorized=True, authority_party_id="doc-bis", rating=rating),
        now=NOW,
    )
    assert (decision.outcome, decision.rule_ids) == (Outcome.REFUSED, (rule_id,))


def test_sosa_authorized_rating_outside_foreign_series_is_noted() -> None:
    decision = decide_authorization(
        awaiting_authorization(),
        Authorization(authorized=True, authority_party_id="doc-bis", rating="DO-A1"),
        now=NOW,
    )
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert R.SOSA_RATING_SERIES_UNEXPECTED in decision.rule_ids


def test_sosa_canada_is_expected_to_use_the_d_series() -> None:
    canada = Requester(
        kind=RequesterKind.PARTNER_MINISTRY, country="CA", party_id="ca-dnd", registered=True
    )
    facts = awaiting_authorization(requester=canada)
    d1 = decide_authorization(
        facts, Authorization(authorized=True, authority_party_id="bis", rating="DO-D1"), now=NOW
    )
    g2 = decide_authorization(
        facts, Authorization(authorized=True, authority_party_id="bis", rating="DO-G2"), now=NOW
    )
    assert R.SOSA_RATING_SERIES_UNEXPECTED not in d1.rule_ids
    assert R.SOSA_RATING_SERIES_UNEXPECTED in g2.rule_ids


def test_sosa_authorization_before_determination_is_refused() -> None:
    decision = decide_authorization(
        awaiting_determination(),
        Authorization(authorized=True, authority_party_id="bis", rating="DO-G2"),
        now=NOW,
    )
    assert decision.rule_ids == (R.COMMAND_WRONG_STATE,)


def test_sosa_determination_twice_is_refused() -> None:
    assert decide_determination(awaiting_authorization(), APPROVE, now=NOW).rule_ids == (
        R.COMMAND_WRONG_STATE,
    )


def test_sosa_determination_on_dpas_path_is_refused() -> None:
    facts = routed(make_request())
    assert decide_determination(facts, APPROVE, now=NOW).rule_ids == (R.COMMAND_WRONG_PATH,)
    authorization = Authorization(authorized=True, authority_party_id="bis", rating="DO-A1")
    assert decide_authorization(facts, authorization, now=NOW).rule_ids == (R.COMMAND_WRONG_PATH,)


def test_sosa_full_partner_flow_ends_routed() -> None:
    facts = partner_routed()
    assert facts.status is RequestStatus.ROUTED
    assert facts.path is Path.DPAS_VIA_SOSA
    assert str(facts.rating) == "DO-G2"
    assert facts.deadline is not None


def test_refusal_leaves_the_facts_unchanged() -> None:
    facts = awaiting_determination()
    refused = decide_authorization(
        facts, Authorization(authorized=True, authority_party_id="x"), now=NOW
    )
    assert facts.updated(refused) is facts
    assert replace(facts) == facts
