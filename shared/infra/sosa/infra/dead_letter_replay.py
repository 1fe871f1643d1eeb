"""Replay of a dead-letter topic: every letter not replayed before goes back, unchanged, to the
topic named in its `sosa_original_topic` header, with a `sosa_replayed_from` header saying where
it was. One consumer group per dead-letter topic (`replay_group`) remembers how far replay got,
so a letter is replayed once whichever way replay runs: `sosa dlq replay` (as the brokers' super
user) or intake's operator-only `POST /v1/dead-letters/{topic}/replay` (as intake's principal,
for the topics intake writes: `sosa.bus_acls`). Consumers de-duplicate by event id, so a
replayed command that had in fact been handled yields nothing twice.

A topic read by several services can hold several copies of one record, one per consumer that
gave up on it (`sosa_consumer`: the notifier's and intake's copies of an unreadable outcome). Back
on the original topic, one copy reaches every consumer again, so replay sends one copy per
original record (topic, partition, offset) and passes over the others it meets in the same run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sosa.contracts import topics
from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings


def replay_group(dead_letter_topic: str) -> str:
    """The consumer group of replay for a (prefixed) dead-letter topic: within the deployment's
    prefix, like every name its ACLs grant."""
    return f"{dead_letter_topic}.replay"


async def replay(settings: CommonSettings, topic: str, *, timeout_s: float = 120) -> int:
    """Send every dead letter of `topic` not replayed before back to its original topic.

    Only what the dead-letter topic holds when replay starts is replayed: a letter that fails
    again lands behind that point and waits for the next replay. The principal of `settings`
    must read the dead-letter topic, join `replay_group` and write the original topic.
    """
    dlq = settings.topic(topics.dead_letter(topic))
    consumer = AIOKafkaConsumer(
        dlq,
        **client_options(settings),
        group_id=replay_group(dlq),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(**client_options(settings), enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    replayed = 0
    originals: set[tuple[str, str, str]] = set()
    try:
        async with asyncio.timeout(timeout_s):
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
                await asyncio.sleep(0.1)
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while await _behind(consumer, ends):
                for partition, records in (await consumer.getmany(timeout_ms=500)).items():
                    for record in records:
                        if record.offset >= ends[partition]:
                            continue
                        origin = _origin(list(record.headers))
                        if origin is not None and origin in originals:
                            continue  # another consumer's copy of a record replayed just now
                        await _send_back(producer, settings, topic, dlq, record)
                        replayed += 1
                        if origin is not None:
                            originals.add(origin)
                # letters past the starting end were skipped: never commit beyond it
                await consumer.commit(
                    {p: min(await consumer.position(p), end) for p, end in ends.items()}
                )
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False


def header(headers: list[tuple[str, bytes]], name: str) -> str | None:
    value = dict(headers).get(name)
    return value.decode(errors="replace") if value is not None else None


def _origin(headers: list[tuple[str, bytes]]) -> tuple[str, str, str] | None:
    """Where a dead letter was read from: its original topic, partition and offset."""
    names = ("sosa_original_topic", "sosa_original_partition", "sosa_original_offset")
    topic, partition, offset = (header(headers, name) for name in names)
    if topic is None or partition is None or offset is None:
        return None
    return topic, partition, offset


async def _send_back(
    producer: AIOKafkaProducer, settings: CommonSettings, topic: str, dlq: str, record: Any
) -> None:
    headers = list(record.headers)
    original = header(headers, "sosa_original_topic") or settings.topic(topic)
    headers.append(("sosa_replayed_from", f"{dlq}/{record.offset}".encode()))
    await producer.send_and_wait(original, record.value, key=record.key, headers=headers)
