"""Data minimisation: each role receives only the fields listed for it."""

from __future__ import annotations

from datetime import UTC, datetime

from sosa.contracts.outcomes import DecisionRecord, Escalated, Parties
from sosa.contracts.states import RequestState, RoutePath
from sosa.notifier.messages import outcome_message
from sosa.notifier.roles import FIELDS, ROLES, minimise

FULL = {
    "request_id": "r1",
    "state": "routed",
    "caused_by": "c1",
    "decision": {"deadline": "2027-01-01", "awaiting": "dod", "outcome": "x"},
    "parties": {"requester": "a", "supplier": "b", "pending_authority": "dod"},
}


def test_operators_see_everything() -> None:
    data, fields = minimise(FULL, "operator")
    assert data == FULL
    assert "caused_by" in fields


def test_supplier_gets_its_clock_but_not_the_authorities_work() -> None:
    data, fields = minimise(FULL, "supplier")
    assert data["decision"] == {"deadline": "2027-01-01", "outcome": "x"}
    assert data["parties"] == {"requester": "a"}
    assert "caused_by" not in data
    assert fields == sorted(
        ["request_id", "state", "decision.deadline", "decision.outcome", "parties.requester"]
    )


def test_authority_decides_without_the_clock() -> None:
    data, _ = minimise(FULL, "authority")
    assert data["decision"] == {"awaiting": "dod", "outcome": "x"}
    assert data["parties"] == {"requester": "a", "supplier": "b"}


def test_every_role_has_a_field_list() -> None:
    assert set(FIELDS) == set(ROLES)


def test_escalation_facts_go_to_the_requester_not_the_supplier() -> None:
    event = Escalated(
        event_id="e",
        request_id="r",
        sequence=3,
        state=RequestState.OVERDUE,
        path=RoutePath.DPAS,
        decision=DecisionRecord(outcome="overdue", ruleset_version="v"),
        parties=Parties(requester="req", supplier="sup"),
        caused_by="c",
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
        escalated_to="requester",
        suggestion="file a BIS-999",
        facts={"contract": "N0001"},
    )
    assert outcome_message(event, "requester").data["facts"] == {"contract": "N0001"}
    assert "facts" not in outcome_message(event, "supplier").data
    assert "facts" in outcome_message(event, "requester").fields


def test_every_contract_field_has_a_decided_audience() -> None:
    """A field added to the outcome contracts reaches no party but operators until it is placed
    in `roles.FIELDS`: this test names it, so that the choice is made, not forgotten."""
    from sosa.contracts import outcomes

    operators_only = {"caused_by", "parties.requester"}
    listed = set().union(*(fields for fields in FIELDS.values() if fields is not None))
    names = {f"decision.{n}" for n in outcomes.DecisionRecord.model_fields}
    names |= {f"parties.{n}" for n in outcomes.Parties.model_fields}
    for model in outcomes.OUTCOME_TYPES.values():
        names |= set(model.model_fields) - {"type", "event_id", "decision", "parties"}
    assert names - listed - operators_only == set()
