"""Who hears about an outcome, and what the webhook says (pure: no I/O)."""

from __future__ import annotations

from typing import Any

from sosa.contracts.outcomes import RequestTransitioned


def event_type(event: RequestTransitioned) -> str:
    """Webhook event type, dot-hierarchical per Standard Webhooks: `request.<state>`."""
    return f"request.{event.state}"


def recipients(event: RequestTransitioned) -> dict[str, str]:
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


def webhook_body(event: RequestTransitioned) -> dict[str, Any]:
    """The Standard Webhooks payload `{type, timestamp, data}` for one outcome."""
    return {
        "type": event_type(event),
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "request_id": event.request_id,
            "sequence": event.sequence,
            "state": event.state,
            "previous_state": event.previous_state,
            "path": event.path,
            "decision": event.decision.model_dump(mode="json"),
            "occurred_at": event.occurred_at.isoformat(),
        },
    }
