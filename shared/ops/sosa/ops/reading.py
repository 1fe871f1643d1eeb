"""Reading a whole topic, from its first record to its current end, without a consumer group."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings


async def read_to_end(settings: CommonSettings, topic: str, *, timeout_s: float = 60) -> list[Any]:
    """Every committed record of `topic`, in partition order, as the topic stands now (read as
    the principal of `settings`)."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not consumer.assignment():  # assigned once the topic's metadata arrives
                records.extend(await _poll(consumer))
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while await behind(consumer, ends):
                records.extend(await _poll(consumer))
    finally:
        await consumer.stop()
    return records


async def _poll(consumer: AIOKafkaConsumer) -> list[Any]:
    batches = await consumer.getmany(timeout_ms=200)
    return [record for records in batches.values() for record in records]


async def behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether the consumer has yet to reach `ends` on some partition."""
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False
