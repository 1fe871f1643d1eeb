"""Timeline rows: every kind of outcome event keeps what only it carries, and reads back whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sosa.contracts import commands, outcomes
from sosa.contracts.states import RequestState
from sosa.intake.views.timeline import timeline_entry, timeline_row
from tests.unit.intake.builders import escalated, refused, reminded, transitioned

S = RequestState


def round_trip(event: outcomes.OutcomeEvent) -> dict[str, Any]:
    """The entry as a reader sees it after the row went through JSON (as in the database)."""
    row = timeline_row(event)
    assert row["event_type"] == event.type  # type: ignore[attr-defined]
    return timeline_entry(row).model_dump(mode="json")


def test_a_transition_keeps_its_previous_state_and_cause() -> None:
    event = transitioned("r", 1, S.ROUTED, S.RECEIVED)
    entry = round_trip(event)
    assert (entry["kind"], entry["previous_state"]) == ("transitioned", "received")
    assert entry["caused_by"] == event.caused_by
    assert timeline_row(event)["specifics"] is None


def test_a_refusal_keeps_the_refused_command_type_and_actor() -> None:
    event = refused("r", 2, S.ROUTED, command_type=commands.RESPOND, actor="intruder")
    row = timeline_row(event)
    assert row["command_type"] == commands.RESPOND
    entry = round_trip(event)
    assert (entry["kind"], entry["command_type"], entry["actor"]) == (
        "refused",
        commands.RESPOND,
        "intruder",
    )
    assert entry["decision"]["outcome"] == "refused"


def test_a_reminder_keeps_its_due_time() -> None:
    event = reminded("r", 2, S.ROUTED)
    entry = round_trip(event)
    assert entry["kind"] == "reminded"
    assert datetime.fromisoformat(entry["due_at"]) == event.due_at.astimezone(UTC)


def test_an_escalation_keeps_who_must_act_and_the_facts() -> None:
    entry = round_trip(escalated("r", 3, S.OVERDUE))
    assert (entry["kind"], entry["escalated_to"]) == ("escalated", "requester")
    assert entry["facts"] == {"form": "BIS-999", "rating": "DX-A3"}
    assert "BIS-999" in entry["suggestion"]


def test_an_unknown_kind_of_row_is_an_error_not_a_transition() -> None:
    row = {**timeline_row(transitioned("r", 1, S.ROUTED)), "event_type": "sosa.outcome.other.v9"}
    with pytest.raises(KeyError):
        timeline_entry(row)
