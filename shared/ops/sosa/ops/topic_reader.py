"""Reading a topic as an operator does: from its start or its end, all of it or one key's partition,
up to where it stands now or on as it grows. No consumer group: nothing is committed, and the
services' consumers never notice. Only committed transactions are read (read_committed).

A request's records all sit in one partition of each topic: producers key them by request id and
use the default partitioner, murmur2 of the key (Kafka's Java client, aiokafka and librdkafka's
`murmur2_random` agree), modulo the topic's partition count.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import murmur2

from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings
from sosa.ops.reading import behind


class NoSuchTopicError(LookupError):
    pass


def partition_for(key: str, partitions: int) -> int:
    """The partition the default partitioner picks for `key` among `partitions`."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


async def records(
    settings: CommonSettings,
    topic: str,
    *,
    from_beginning: bool = True,
    follow: bool = False,
    key: str | None = None,
    timeout_s: float = 30,
) -> AsyncIterator[Any]:
    """The records of `topic` in offset order within each partition. With `key`, only that key's
    records, from its partition alone. Without `follow`, stops at the end the topic has now."""
    consumer = AIOKafkaConsumer(
        **client_options(settings),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        assigned = await _assign(consumer, topic, key, timeout_s=timeout_s)
        if from_beginning:
            await consumer.seek_to_beginning(*assigned)
        else:
            await consumer.seek_to_end(*assigned)
        ends = None if follow else await consumer.end_offsets(assigned)
        wanted = key.encode() if key is not None else None
        while ends is None or await behind(consumer, ends):
            batches = await consumer.getmany(timeout_ms=500)
            for partition in sorted(batches, key=lambda tp: tp.partition):
                for record in batches[partition]:
                    if ends is not None and record.offset >= ends[partition]:
                        continue
                    if wanted is None or record.key == wanted:
                        yield record
    finally:
        await consumer.stop()


async def _assign(
    consumer: AIOKafkaConsumer, topic: str, key: str | None, *, timeout_s: float
) -> list[TopicPartition]:
    async with asyncio.timeout(timeout_s):
        # the whole cluster's metadata, as consumer.topics() fetches it (which keeps only names)
        cluster = await consumer._client.fetch_all_metadata()
    partitions = cluster.partitions_for_topic(topic)
    if not partitions:
        raise NoSuchTopicError(f"no topic {topic!r} on the cluster")
    numbers = sorted(partitions)
    if key is not None:
        numbers = [partition_for(key, len(numbers))]
    assigned = [TopicPartition(topic, n) for n in numbers]
    consumer.assign(assigned)
    return assigned
