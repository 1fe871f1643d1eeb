"""Intake's outbox relay on the real broker, PostgreSQL and SQLite (`sosa.infra.outbox`): rows
published in the order they were stored, a batch at a time, and deleted only with their
publication; on PostgreSQL the relay's lock, the batch and its deletion are one statement (#25),
and a relay that does not hold the lock takes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select, text

from sosa.contracts import topics
from sosa.infra import db, kafka
from sosa.infra.outbox import OutboxRelay
from sosa.infra.settings import CommonSettings
from sosa.intake import tables
from sosa.intake.app import RELAY_LOCK_ID
from tests.e2e.stack import unique_prefix
from tests.integration.intake.seeding import Sessions
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.db, pytest.mark.kafka, pytest.mark.timeout(120)]


@pytest.fixture
async def settings(kafka_bootstrap: str) -> CommonSettings:
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=unique_prefix(), topic_partitions=1
    )
    await kafka.ensure_topics(settings, [topics.REQUESTS])
    return settings


@pytest.fixture
async def relay(sessions: Sessions, settings: CommonSettings) -> AsyncIterator[OutboxRelay]:
    producer = kafka.producer(settings, client_id="outbox-relay-test")
    await producer.start()
    try:
        yield OutboxRelay(
            sessions, tables.outbox, producer, settings, lock_id=RELAY_LOCK_ID, batch_size=3
        )
    finally:
        await producer.stop()


async def stored(sessions: Sessions, count: int) -> list[str]:
    """`count` outbox rows stored, one transaction each; their event ids in that order."""
    ids = []
    for _ in range(count):
        event_id = str(uuid.uuid4())
        async with sessions() as session, session.begin():
            await session.execute(
                tables.outbox.insert().values(
                    topic=topics.REQUESTS,
                    event_id=event_id,
                    event_type="sosa.command.submit.v1",
                    source="/test",
                    subject="request-1",
                    time=datetime.now(UTC),
                    data=b'{"n": 1}',
                    traceparent=None,
                )
            )
        ids.append(event_id)
    return ids


async def pending(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(tables.outbox))).scalar_one()
        )


async def published(settings: CommonSettings, count: int) -> list[str]:
    """The `ce_id` of the first `count` records on the topic, in their order."""
    reader = AIOKafkaConsumer(
        settings.topic(topics.REQUESTS),
        **as_super_user(settings.kafka_bootstrap_servers),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    found: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await reader.getmany(timeout_ms=500)).values():
                    found += [dict(r.headers)["ce_id"].decode() for r in records]
    finally:
        await reader.stop()
    return found


async def test_rows_are_published_in_order_a_batch_at_a_time_and_deleted(
    sessions: Sessions, relay: OutboxRelay, settings: CommonSettings
) -> None:
    ids = await stored(sessions, 5)
    assert [await relay.publish_batch() for _ in range(3)] == [3, 2, 0]
    assert await pending(sessions) == 0
    assert await published(settings, 5) == ids


async def test_a_relay_without_the_lock_takes_nothing(
    sessions: Sessions, relay: OutboxRelay, settings: CommonSettings
) -> None:
    async with sessions() as probe:
        if not db.is_postgres(probe):
            pytest.skip("SQLite has one writer at a time: one relay per database file")
    ids = await stored(sessions, 2)
    async with sessions() as other, other.begin():  # another instance's relay, mid-batch
        await other.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": RELAY_LOCK_ID})
        assert await relay.publish_batch() == 0
        assert await pending(sessions) == 2
    assert await relay.publish_batch() == 2
    assert await published(settings, 2) == ids
