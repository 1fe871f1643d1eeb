"""Reading contract messages back out of Kafka records."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from sosa.contracts import envelope, outcomes

log = logging.getLogger(__name__)


def outcomes_in(
    records: Sequence[ConsumerRecord[bytes, bytes]],
) -> list[outcomes.OutcomeEvent]:
    """The outcome events among `records`; other types are passed over, unreadable ones logged."""
    events = []
    for record in records:
        try:
            message = envelope.from_kafka(record.value or b"", list(record.headers))
            if message.type in outcomes.OUTCOME_TYPES:
                events.append(outcomes.parse_outcome(message.type, message.data))
        except (ValueError, ValidationError):
            log.exception(
                "unreadable outcome passed over",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                },
            )
    return events
