"""Reading contract messages back out of Kafka records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from sosa.contracts import envelope, outcomes, posture
from sosa.infra.dead_letters import Unreadable


@dataclass(frozen=True, slots=True)
class ReadOutcomes:
    """What one batch of `sosa.outcomes.v1` records holds."""

    events: list[outcomes.OutcomeEvent] = field(default_factory=list)
    """The outcome events, in the records' order."""
    traceparents: dict[str, str] = field(default_factory=dict)
    """The W3C `traceparent` each event carried (`ce_traceparent`), by event id."""
    unreadable: list[Unreadable] = field(default_factory=list)
    """The records that are not a readable outcome, each with its error: dead letters."""
    postures: list[posture.PostureChanged] = field(default_factory=list)
    """The posture changes among them (`sosa.posture.changed.v1`), in order."""


def read_outcomes(records: Sequence[ConsumerRecord[bytes, bytes]]) -> ReadOutcomes:
    """The outcome events and posture changes among `records`, and the records that cannot be
    read. Records of other event types (that this version does not know) are passed over: they
    are no error."""
    read = ReadOutcomes()
    for record in records:
        try:
            message = envelope.from_kafka(record.value or b"", list(record.headers))
            if message.type in outcomes.OUTCOME_TYPES:
                event = outcomes.parse_outcome(message.type, message.data)
                read.events.append(event)
                if message.traceparent:
                    read.traceparents[event.event_id] = message.traceparent
            elif message.type == posture.CHANGED:
                read.postures.append(posture.PostureChanged.model_validate_json(message.data))
        except (ValueError, ValidationError) as exc:
            read.unreadable.append(Unreadable(record, exc))
    return read
