"""Outcome events and request bodies for intake's tests, built the way the router sends them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sosa.contracts import commands, outcomes
from sosa.contracts.outcomes import DecisionRecord, Finding, Parties
from sosa.contracts.parties import PartyAttributes, PartyKind
from sosa.contracts.states import RequestState, RoutePath

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
DOD_REGISTERED = commands.RegisteredFacts(
    requester=PartyAttributes(kind=PartyKind.US_DOD, country="US")
)
"""The registry's facts of the walking skeleton's requester (dod-navsea), as intake attaches."""
PARTIES = Parties(requester="dod-navsea", supplier="acme-valves")
FINDING = Finding(
    rule_id="DPAS_700_13_A_ACCEPT", citation="15 CFR 700.13(a)", reason="The supplier accepted."
)


def decision(outcome: str = "dpas_rated_order", **fields: Any) -> DecisionRecord:
    return DecisionRecord(
        outcome=outcome, findings=[FINDING], ruleset_version="test-rules/1", **fields
    )


def _common(
    request_id: str, sequence: int, state: RequestState, fields: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": fields.pop("event_id", str(uuid.uuid4())),
        "request_id": request_id,
        "sequence": sequence,
        "state": state,
        "path": fields.pop("path", RoutePath.DPAS),
        "decision": fields.pop("decision", None) or decision(),
        "parties": fields.pop("parties", PARTIES),
        "caused_by": fields.pop("caused_by", str(uuid.uuid4())),
        "occurred_at": fields.pop("occurred_at", T0 + timedelta(minutes=sequence)),
    }


def transitioned(
    request_id: str,
    sequence: int,
    state: RequestState,
    previous: RequestState | None = None,
    **fields: Any,
) -> outcomes.RequestTransitioned:
    common = _common(request_id, sequence, state, fields)
    return outcomes.RequestTransitioned(**common, previous_state=previous, **fields)


def refused(
    request_id: str, sequence: int, state: RequestState, **fields: Any
) -> outcomes.CommandRefused:
    fields.setdefault("decision", decision("refused"))
    common = _common(request_id, sequence, state, fields)
    return outcomes.CommandRefused(
        **common,
        command_type=fields.pop("command_type", commands.RESPOND),
        actor=fields.pop("actor", "some-other-firm"),
    )


def reminded(
    request_id: str, sequence: int, state: RequestState, **fields: Any
) -> outcomes.ResponseReminded:
    common = _common(request_id, sequence, state, fields)
    return outcomes.ResponseReminded(**common, due_at=T0 + timedelta(days=10))


def escalated(
    request_id: str, sequence: int, state: RequestState, **fields: Any
) -> outcomes.Escalated:
    common = _common(request_id, sequence, state, fields)
    return outcomes.Escalated(
        **common,
        escalated_to="requester",
        suggestion="Ask Commerce for Special Priorities Assistance (Form BIS-999).",
        facts={"form": "BIS-999", "rating": "DX-A3"},
    )
