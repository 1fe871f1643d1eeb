"""A request's timeline: outcome events as rows of `request_timeline`, and rows as entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sosa.contracts import outcomes
from sosa.intake.views.models import EventKind, TimelineEntry

KIND: Final[dict[str, EventKind]] = {
    outcomes.TRANSITIONED: "transitioned",
    outcomes.REFUSED: "refused",
    outcomes.REMINDED: "reminded",
    outcomes.ESCALATED: "escalated",
}
# kept in columns of their own; whatever else a kind of event carries goes into `specifics`
_IN_COLUMNS: Final = frozenset(outcomes.OutcomeEvent.model_fields) | {
    "type",
    "previous_state",
    "command_type",
}


def timeline_row(event: outcomes.OutcomeEvent) -> dict[str, Any]:
    """The `request_timeline` row of one outcome event, whatever its kind."""
    specifics = event.model_dump(mode="json", exclude=set(_IN_COLUMNS))
    return {
        "event_id": event.event_id,
        "request_id": event.request_id,
        "sequence": event.sequence,
        "event_type": getattr(event, "type", outcomes.TRANSITIONED),
        "state": event.state,
        "previous_state": getattr(event, "previous_state", None),
        "decision": event.decision.model_dump(mode="json"),
        "caused_by": event.caused_by,
        "command_type": getattr(event, "command_type", None),
        "specifics": specifics or None,
        "occurred_at": event.occurred_at,
    }


def timeline_entry(row: Mapping[Any, Any]) -> TimelineEntry:
    """The entry a reader sees for one stored row."""
    return TimelineEntry.model_validate(
        {
            **(row["specifics"] or {}),
            **{name: value for name, value in row.items() if name != "specifics"},
            "type": row["event_type"],
            "kind": KIND[row["event_type"]],
        }
    )
