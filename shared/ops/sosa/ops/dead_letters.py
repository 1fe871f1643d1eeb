"""Dead-letter topics: list what is in them and send it back where it came from.

Replay republishes each dead letter, unchanged, to the topic named in its `sosa_original_topic`
header, with a `sosa_replayed_from` header saying where it was. A consumer group per dead-letter
topic remembers how far replay got, so a record is replayed once even if replay runs again.
Consumers de-duplicate by event id, so a replayed command that had in fact been handled yields
nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sosa.contracts import topics
from sosa.infra.settings import CommonSettings


@dataclass(frozen=True, slots=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    original: str
    error: str
    event_type: str | None


def _header(headers: list[tuple[str, bytes]], name: str) -> str | None:
    value = dict(headers).get(name)
    return value.decode(errors="replace") if value is not None else None


async def read(settings: CommonSettings, topic: str, *, limit: int) -> list[DeadLetter]:
    """Up to `limit` dead letters of `topic`, oldest first, without consuming them."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, settings.topic(topics.dead_letter(topic)))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[DeadLetter] = []
        ends = await consumer.end_offsets(partitions)
        while len(found) < limit and await _behind(consumer, ends):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(_letter(r) for r in records)
        return found[:limit]
    finally:
        await consumer.stop()


async def replay(settings: CommonSettings, topic: str) -> int:
    """Send every dead letter of `topic` not replayed before back to its original topic."""
    dlq = settings.topic(topics.dead_letter(topic))
    consumer = AIOKafkaConsumer(
        dlq,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"sosa-dlq-replay-{dlq}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        while batches := await consumer.getmany(timeout_ms=2000):
            for records in batches.values():
                for record in records:
                    headers = list(record.headers)
                    original = _header(headers, "sosa_original_topic") or settings.topic(topic)
                    headers.append(("sosa_replayed_from", f"{dlq}/{record.offset}".encode()))
                    await producer.send_and_wait(
                        original, record.value, key=record.key, headers=headers
                    )
                    replayed += 1
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    await consumer.topics()
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


def _letter(record: object) -> DeadLetter:
    headers = list(record.headers)  # type: ignore[attr-defined]
    return DeadLetter(
        partition=record.partition,  # type: ignore[attr-defined]
        offset=record.offset,  # type: ignore[attr-defined]
        key=record.key.decode(errors="replace") if record.key else None,  # type: ignore[attr-defined]
        original=f"{_header(headers, 'sosa_original_topic')}/"
        f"{_header(headers, 'sosa_original_partition')}/{_header(headers, 'sosa_original_offset')}",
        error=_header(headers, "sosa_error") or "",
        event_type=_header(headers, "ce_type"),
    )
