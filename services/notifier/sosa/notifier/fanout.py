"""Who hears about an outcome, and what the webhook says (pure: no I/O)."""

from __future__ import annotations

from typing import Any

from sosa.contracts import outcomes
from sosa.contracts.outcomes import OutcomeEvent


def event_type(event: OutcomeEvent) -> str:
    """Webhook event type, dot-hierarchical per Standard Webhooks.

    A transition is `request.<new state>`; the other outcomes are `request.command_refused`,
    `request.reminder` and `request.escalated`.
    """
    if isinstance(event, outcomes.RequestTransitioned):
        return f"request.{event.state}"
    return _OTHER_TYPES[type(event)]


_OTHER_TYPES: dict[type[OutcomeEvent], str] = {
    outcomes.CommandRefused: "request.command_refused",
    outcomes.ResponseReminded: "request.reminder",
    outcomes.Escalated: "request.escalated",
}


def recipients(event: OutcomeEvent) -> dict[str, str]:
    """Each party involved in the request, with the role in which it hears about it."""
    parties = event.parties
    found = {parties.requester: "requester", parties.supplier: "supplier"}
    if parties.liaison:
        found.setdefault(parties.liaison, "partner_liaison")
    if parties.pending_authority:
        found.setdefault(parties.pending_authority, "authority")
    return found


def wants(subscribed_types: list[str] | None, type_: str) -> bool:
    """An endpoint with no filter wants everything; `request.*` style prefixes are allowed."""
    if not subscribed_types:
        return True
    return any(
        t == type_ or (t.endswith(".*") and type_.startswith(t[:-1])) for t in subscribed_types
    )


def webhook_body(event: OutcomeEvent) -> dict[str, Any]:
    """The Standard Webhooks payload `{type, timestamp, data}` for one outcome."""
    return {
        "type": event_type(event),
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "request_id": event.request_id,
            "sequence": event.sequence,
            "state": event.state,
            "previous_state": getattr(event, "previous_state", None),
            "path": event.path,
            "decision": event.decision.model_dump(mode="json"),
            "occurred_at": event.occurred_at.isoformat(),
        },
    }
