"""Decisions serialise to JSON-safe primitives, and facts follow them from state to state."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sosa.rules import (
    RULESET_VERSION,
    Decision,
    Outcome,
    Path,
    RequestFacts,
    RequestStatus,
    ResponseKind,
    SupplierResponse,
    decide_response,
    decide_submission,
)
from sosa.rules.facts import STATUS_AFTER

from .builders import INDIAN_FIRM, make_request, routed, utc

JSON_TYPES = (str, int, bool, type(None), list, dict)


def assert_json_safe(value: Any) -> None:
    assert isinstance(value, JSON_TYPES), type(value)
    if isinstance(value, list):
        for item in value:
            assert_json_safe(item)
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_json_safe(item)


@pytest.mark.parametrize(
    "request_overrides",
    [{}, {"rating": None}, {"supplier": INDIAN_FIRM}, {"supplier": INDIAN_FIRM, "rating": "DO-A1"}],
    ids=["dpas", "rejected", "voluntary", "voluntary-with-rating"],
)
def test_decision_to_dict_is_json_safe(request_overrides: dict[str, Any]) -> None:
    data = decide_submission(make_request(**request_overrides)).to_dict()
    assert_json_safe(data)
    assert json.loads(json.dumps(data)) == data
    assert data["ruleset_version"] == RULESET_VERSION


def test_decision_to_dict_values() -> None:
    data = decide_submission(make_request()).to_dict()
    assert data["outcome"] == "dpas_rated_order"
    assert data["path"] == "dpas"
    assert data["rating"] == "DX-A2"
    assert data["priority_rank"] == 2
    assert data["deadline"] == "2026-07-13T23:59:59-04:00"
    findings = data["findings"]
    assert isinstance(findings, list)
    assert findings[0] == {
        "rule_id": "DPAS_PATH_US_ORDER",
        "citation": "15 CFR 700.13(a)(1)",
        "reason": "A US DoD rated order to a US supplier is governed by DPAS (15 CFR 700).",
        "blocking": False,
    }


def test_decision_with_offer_serialises_decimal_and_date() -> None:
    facts = routed(make_request(supplier=INDIAN_FIRM))
    response = SupplierResponse(
        kind=ResponseKind.PARTIAL, accepted_quantity=Decimal("2.5"), offered_date=date(2026, 11, 2)
    )
    data = decide_response(facts, response, now=utc(2026, 7, 1)).to_dict()
    assert (data["offered_quantity"], data["offered_date"]) == ("2.5", "2026-11-02")
    assert_json_safe(data)


def test_facts_follow_the_submission() -> None:
    request = make_request()
    decision = decide_submission(request)
    facts = RequestFacts.from_submission(request, decision)
    assert facts.status is RequestStatus.ROUTED
    assert facts.path is Path.DPAS
    assert facts.rating == decision.rating
    assert facts.deadline == decision.deadline
    assert facts.required_delivery_dates == (date(2026, 9, 1),)


def test_facts_of_a_rejected_submission() -> None:
    request = make_request(rating=None)
    facts = RequestFacts.from_submission(request, decide_submission(request))
    assert facts.status is RequestStatus.REJECTED


def test_every_outcome_but_amended_and_refused_moves_the_state() -> None:
    assert set(Outcome) - set(STATUS_AFTER) == {Outcome.AMENDED, Outcome.REFUSED}
    assert {s.value for s in STATUS_AFTER.values()} <= {s.value for s in RequestStatus}


def test_decision_defaults() -> None:
    decision = Decision(request_id="r", outcome=Outcome.REFUSED, path=None, findings=())
    assert decision.priority_rank == 0
    assert decision.rule_ids == ()
    assert decision.to_dict()["path"] is None
