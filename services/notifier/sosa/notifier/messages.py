"""What one party is told: the Standard Webhooks body `{type, timestamp, data}` (pure: no I/O).

The same message goes to every channel of a party (webhook endpoints, e-mail, live stream) under
one id, the `webhook-id`: the outcome's event id. It never changes across retries or channels, so
a receiver de-duplicates on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sosa.contracts.outcomes import OutcomeEvent
from sosa.notifier import fanout
from sosa.notifier.roles import Role, minimise


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    event_type: str
    request_id: str | None
    occurred_at: datetime
    role: Role | None
    """None only for a test message (`test_message`), which no party is told in a role."""
    data: dict[str, Any]
    fields: list[str]
    deadline: datetime | None = None
    partner_country: str | None = None
    """The request's SOSA partner: its posture, if it has one, sets the retries."""
    traceparent: str | None = None
    """The trace of the outcome the message tells of: each delivery attempt continues it."""

    def body(self) -> dict[str, Any]:
        return {
            "type": self.event_type,
            "timestamp": self.occurred_at.isoformat(),
            "data": self.data,
        }

    def payload(self) -> str:
        """The exact bytes that are signed and sent (compact JSON)."""
        return json.dumps(self.body(), separators=(",", ":"), sort_keys=False)


def outcome_message(
    event: OutcomeEvent,
    role: Role,
    *,
    traceparent: str | None = None,
    dumped: dict[str, Any] | None = None,
) -> Message:
    """The message about `event` for a party in `role`, with only the fields that role needs;
    `traceparent` is the outcome's (its `ce_traceparent`); `dumped`, the event's data
    (`full_data(event)`) when the caller has it already: one dump of the event for every party."""
    data, fields = minimise(full_data(event) if dumped is None else dumped, role)
    return Message(
        message_id=event.event_id,
        event_type=fanout.event_type(event),
        request_id=event.request_id,
        occurred_at=event.occurred_at,
        role=role,
        data=data,
        fields=fields,
        deadline=event.decision.deadline,
        partner_country=event.decision.partner_country,
        traceparent=traceparent,
    )


def full_data(event: OutcomeEvent) -> dict[str, Any]:
    """Everything `event` says, in the order a message tells it (`minimise` picks from it)."""
    dumped = event.model_dump(mode="json", exclude={"type", "event_id"})
    ordered = {"request_id": dumped.pop("request_id"), "sequence": dumped.pop("sequence")}
    return {**ordered, **dumped}


TEST_EVENT_TYPE = "endpoint.test"


def test_message(message_id: str, *, endpoint_id: str, party_id: str, now: datetime) -> Message:
    """A message sent on request to one endpoint, to check that it receives and verifies what
    the notifier signs (like Svix's "send example"). It tells of no request."""
    return Message(
        message_id=message_id,
        event_type=TEST_EVENT_TYPE,
        request_id=None,
        occurred_at=now,
        role=None,
        data={
            "endpoint_id": endpoint_id,
            "party_id": party_id,
            "note": "A test message, sent because it was asked for; it tells of no request.",
        },
        fields=["endpoint_id", "party_id", "note"],
    )
