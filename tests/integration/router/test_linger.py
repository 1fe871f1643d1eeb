"""The router's linger (sosa.router.linger) on the real broker: a poll that brought only a few
records waits, and what arrived meanwhile joins the same partition's batch, in offset order."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from sosa.infra import kafka
from sosa.infra.consumer_runner import Batches
from sosa.infra.settings import CommonSettings
from sosa.router.linger import Linger
from tests.e2e.stack import unique_prefix

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

TOPIC = "linger.in"


async def test_a_small_poll_waits_and_takes_what_arrived_meanwhile(kafka_bootstrap: str) -> None:
    prefix = unique_prefix()
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix, topic_partitions=1
    )
    await kafka.ensure_topics(settings, [TOPIC])
    topic = settings.topic(TOPIC)
    producer = kafka.producer(settings, client_id="linger-test")
    consumer = kafka.consumer(
        settings, group_id=f"{prefix}linger", topics=[TOPIC], client_id="linger-test"
    )
    await producer.start()
    await consumer.start()
    try:
        await producer.send_and_wait(topic, b"1", key=b"k")
        linger = Linger(wait_s=5.0, below=10)

        async def first_batch() -> Batches:
            batches: Batches = {}
            while not batches:  # nothing until the group has assigned the partition
                batches = await linger.poll(consumer, 500)
            return batches

        polled = asyncio.create_task(first_batch())
        partition = TopicPartition(topic, 0)
        async with asyncio.timeout(60):
            # the broker has no event to wait on: poll until the first poll has returned record 1
            while partition not in consumer.assignment() or await consumer.position(partition) < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        for value in (b"2", b"3"):
            await producer.send_and_wait(topic, value, key=b"k")
        batches = await polled
    finally:
        await consumer.stop()
        await producer.stop()
    assert list(batches) == [partition]
    assert [r.value for r in batches[partition]] == [b"1", b"2", b"3"]
    assert [r.offset for r in batches[partition]] == [0, 1, 2]
