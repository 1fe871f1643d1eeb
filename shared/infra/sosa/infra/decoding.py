"""Reading contract messages back out of Kafka records, one record at a time.

A reader raises on anything it cannot take for what the topic promises (the consumer runner
makes such a record a dead letter): not one of our envelopes, a type this version does not know,
data that is not the type's schema, an id that is not the event's own, or a subject that is not
the event's own request or scope (a record keyed by another request would be read out of that
request's order).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord

from sosa.contracts import envelope, outcomes, posture


class UnknownEventTypeError(ValueError):
    """A record of a type that this topic's readers do not know (a newer writer's, or a
    forgery): dead-lettered, so that it can be replayed once its readers know it."""


@dataclass(frozen=True, slots=True)
class OutcomeRead:
    """One record of `sosa.outcomes.v1`: an outcome event or a posture change."""

    event: outcomes.OutcomeEvent | posture.PostureChanged
    traceparent: str | None
    """The W3C `traceparent` the event carried (`ce_traceparent`)."""


def read_outcome(record: ConsumerRecord[bytes, bytes]) -> OutcomeRead:
    """The outcome event or posture change `record` holds; raises ValueError otherwise."""
    message = envelope.from_kafka(record.value or b"", list(record.headers))
    event: outcomes.OutcomeEvent | posture.PostureChanged
    if message.type in outcomes.OUTCOME_TYPES:
        event = outcomes.parse_outcome(message.type, message.data)
        subject = event.request_id
    elif message.type == posture.CHANGED:
        event = posture.PostureChanged.model_validate_json(message.data)
        subject = event.scope
    else:
        raise UnknownEventTypeError(f"unknown event type {message.type!r} on the outcome topic")
    if message.id != event.event_id:
        raise ValueError(f"ce_id {message.id!r} is not the event's own {event.event_id!r}")
    if message.subject != subject:
        raise ValueError(f"subject {message.subject!r} is not the event's own {subject!r}")
    return OutcomeRead(event, message.traceparent)
