"""The event types a party can subscribe to (webhook endpoints, e-mail recipients).

One per message the notifier sends (`sosa.notifier.fanout.event_type`): `request.<state>` for
each transition, `request.command_refused`, `request.reminder`, `request.escalated`; and
`request.*`, every one of them; and the operators' notices (`sosa.notifier.notices`):
`operator.endpoint_disabled`, `operator.delivery_failed`, `operator.delivery_escalated`, and
`operator.*`, all three. A type no message has (`request.routd`) would never fire: it is
a 422 naming `event_types` where it enters.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """A webhook event type (Standard Webhooks, dot-hierarchical); `request.*` and
    `operator.*` name every type under them."""

    ALL = "request.*"
    RECEIVED = "request.received"
    AWAITING_DETERMINATION = "request.awaiting_determination"
    AWAITING_AUTHORIZATION = "request.awaiting_authorization"
    ROUTED = "request.routed"
    ACCEPTED = "request.accepted"
    REJECTED_BY_SUPPLIER = "request.rejected_by_supplier"
    COUNTER_OFFERED = "request.counter_offered"
    DECLINED = "request.declined"
    OVERDUE = "request.overdue"
    FULFILLED = "request.fulfilled"
    CANCELLED = "request.cancelled"
    REJECTED = "request.rejected"
    COMMAND_REFUSED = "request.command_refused"
    REMINDER = "request.reminder"
    ESCALATED = "request.escalated"
    OPERATOR_ALL = "operator.*"
    ENDPOINT_DISABLED = "operator.endpoint_disabled"
    DELIVERY_FAILED = "operator.delivery_failed"
    DELIVERY_ESCALATED = "operator.delivery_escalated"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.ALL: "every event type below",
    EventType.RECEIVED: "the request was received",
    EventType.AWAITING_DETERMINATION: "a partner's request awaits DoD's program determination",
    EventType.AWAITING_AUTHORIZATION: "it awaits Commerce's rating authorization",
    EventType.ROUTED: "the request was routed to its supplier; its response clock runs",
    EventType.ACCEPTED: "the supplier accepted",
    EventType.REJECTED_BY_SUPPLIER: "the supplier rejected (15 CFR 700.13(c))",
    EventType.COUNTER_OFFERED: "the supplier rejected with its earliest date (700.13(b))",
    EventType.DECLINED: "the supplier declined a voluntary request",
    EventType.OVERDUE: "the response deadline passed without an answer",
    EventType.FULFILLED: "the order was fulfilled",
    EventType.CANCELLED: "the request was cancelled",
    EventType.REJECTED: "the request was rejected at routing (with cited reasons)",
    EventType.COMMAND_REFUSED: "a command of the party's was refused (with cited reasons)",
    EventType.REMINDER: "a reminder that a response is due",
    EventType.ESCALATED: "an escalation: a deadline passed or is near",
    EventType.OPERATOR_ALL: "every operator notice below (sent to operators only)",
    EventType.ENDPOINT_DISABLED: "operators: an endpoint was disabled after failing too long",
    EventType.DELIVERY_FAILED: "operators: a delivery failed for good",
    EventType.DELIVERY_ESCALATED: "operators: a delivery was escalated to another channel",
}
"""What each type announces (the OpenAPI documents carry them as `x-enum-descriptions`)."""


def as_stored(types: list[EventType] | None) -> list[str] | None:
    """The subscription's filter as its row holds it (plain strings; None: every type)."""
    return None if types is None else [t.value for t in types]
