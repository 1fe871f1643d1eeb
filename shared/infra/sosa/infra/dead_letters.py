"""Dead letters of a consumer: a record it cannot read goes, unchanged, to `<topic>.dlq`.

A dead letter keeps the original value, key and headers, and adds where it came from and why it
failed (the same header names as the router's): `sosa_original_topic`, `sosa_original_partition`,
`sosa_original_offset`, `sosa_error` (the error's class and message), `sosa_error_class` (the
class alone, for filtering), and `sosa_consumer`, the service that gave up on it, so that
the copies of one outcome that several consumers dead-lettered can be told apart. `sosa dlq list`
shows them and `sosa dlq replay` sends them back to the original topic.

A consumer sends its dead letters before it commits the offsets of their batch (at least once to
the dead-letter topic: nothing is passed over unrecorded); while they cannot be sent, it retries
and commits nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka.structs import ConsumerRecord

from sosa.infra import metrics

log = logging.getLogger(__name__)

ORIGINAL_TOPIC = "sosa_original_topic"
ORIGINAL_PARTITION = "sosa_original_partition"
ORIGINAL_OFFSET = "sosa_original_offset"
ERROR = "sosa_error"
ERROR_CLASS = "sosa_error_class"
CONSUMER = "sosa_consumer"
MAX_ERROR_CHARS = 1000

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record a consumer could not read, and why."""

    record: ConsumerRecord[bytes, bytes]
    error: Exception


def describe(error: Exception) -> str:
    """The error as a dead letter's `sosa_error` header carries it: type and message, bounded."""
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


def provenance_headers(
    *, topic: str, partition: int, offset: int, error: Exception, consumer: str
) -> Headers:
    """Where a dead letter came from, why it failed and which service gave up on it."""
    return [
        (ORIGINAL_TOPIC, topic.encode()),
        (ORIGINAL_PARTITION, str(partition).encode()),
        (ORIGINAL_OFFSET, str(offset).encode()),
        (ERROR, describe(error).encode()),
        (ERROR_CLASS, type(error).__name__.encode()),
        (CONSUMER, consumer.encode()),
    ]


def dead_letter_headers(
    original: Sequence[tuple[str, bytes]],
    *,
    topic: str,
    partition: int,
    offset: int,
    error: Exception,
    consumer: str,
) -> Headers:
    """The original headers, unchanged and in order, then the provenance headers. A letter that
    failed again after a replay carries both sets; readers take the last of each name."""
    return [
        *((name, value) for name, value in original),
        *provenance_headers(
            topic=topic, partition=partition, offset=offset, error=error, consumer=consumer
        ),
    ]


class Sender(Protocol):
    """What sends a dead letter and waits for the broker's acknowledgement (`acks=all`)."""

    async def send_and_wait(
        self, topic: str, value: bytes, *, key: bytes | None, headers: Headers
    ) -> None: ...


class DeadLetters:
    """One consumer's dead-letter topic, written with a producer the service already has."""

    def __init__(
        self,
        sender: Sender,
        *,
        topic: str,
        consumer: str,
        backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._sender = sender
        self.topic = topic
        """The dead-letter topic's real name (with the deployment's prefix)."""
        self.consumer = consumer
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s

    async def send(self, unreadable: Sequence[Unreadable]) -> None:
        """Send each unreadable record to the dead-letter topic, in order; a failed send is
        retried with backoff until it succeeds (the caller commits no offset meanwhile)."""
        for letter in unreadable:
            await self._send_until_done(letter)

    async def _send_until_done(self, letter: Unreadable) -> None:
        record = letter.record
        headers = dead_letter_headers(
            list(record.headers),
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=letter.error,
            consumer=self.consumer,
        )
        where = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "dead_letter_topic": self.topic,
        }
        backoff = self._backoff_s
        while True:
            try:
                await self._sender.send_and_wait(
                    self.topic, record.value or b"", key=record.key, headers=headers
                )
                break
            except Exception:
                log.exception(
                    "sending a dead letter failed; will retry",
                    extra={**where, "backoff_s": backoff},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
        metrics.DEAD_LETTERS.labels(self.consumer, record.topic).inc()
        log.warning(
            "unreadable record dead-lettered", extra={**where, "error": describe(letter.error)}
        )
