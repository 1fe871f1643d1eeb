"""Audit checkpoints on Kafka (sosa.intake.audit): published by `prune` before it deletes, read
back by `verify`. The topic is kept forever and every checkpoint has one key, so the last prune
is the last record of one partition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition

from sosa.contracts import envelope, topics
from sosa.contracts.audit import CHECKPOINT, AuditCheckpoint
from sosa.infra import kafka
from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings
from sosa.intake.audit import Publish

SOURCE = "/sosa/intake/audit"


class UnreadableCheckpointError(ValueError):
    """A record on the checkpoint topic that is not a checkpoint: `verify` cannot trust it."""


@asynccontextmanager
async def publisher(settings: CommonSettings) -> AsyncIterator[Publish]:
    """A function that publishes one checkpoint and returns once the broker has stored it."""
    producer = kafka.producer(settings, client_id="sosa-intake-audit")
    await kafka.start_checked(producer, settings)
    topic = settings.topic(topics.AUDIT_CHECKPOINTS)

    async def publish(checkpoint: AuditCheckpoint) -> None:
        key, value, headers = envelope.to_kafka(
            envelope.wrap(
                checkpoint,
                event_id=checkpoint.event_id,
                event_type=CHECKPOINT,
                source=SOURCE,
                subject=checkpoint.log,
                time=checkpoint.published_at,
            )
        )
        await producer.send_and_wait(topic, value, key=key, headers=headers)

    try:
        yield publish
    finally:
        await producer.stop()


async def latest(settings: CommonSettings, *, timeout_s: float = 30) -> AuditCheckpoint | None:
    """The last checkpoint published (the highest prune), or None when there is none."""
    await kafka.ensure_topics(
        settings, [topics.AUDIT_CHECKPOINTS], kept_forever=[topics.AUDIT_CHECKPOINTS]
    )
    topic = settings.topic(topics.AUDIT_CHECKPOINTS)
    reader = AIOKafkaConsumer(
        **client_options(settings),
        client_id="sosa-intake-audit",
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await kafka.start_checked(reader, settings)
    try:
        async with asyncio.timeout(timeout_s):
            partitions = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
            ends = await reader.end_offsets(partitions)
            wanted = {p: end for p, end in ends.items() if end > 0}
            if not wanted:
                return None
            reader.assign(list(wanted))
            for partition, end in wanted.items():
                reader.seek(partition, end - 1)
            found: list[AuditCheckpoint] = []
            while any([await reader.position(p) < end for p, end in wanted.items()]):
                for records in (await reader.getmany(timeout_ms=200)).values():
                    found.extend(_checkpoint(r) for r in records)
    finally:
        await reader.stop()
    return max(found, key=lambda c: c.pruned_through_seq, default=None)


async def _partitions(settings: CommonSettings, topic: str) -> list[int]:
    admin = kafka.admin(settings, client_id="sosa-intake-audit")
    await kafka.start_checked(admin, settings)
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await kafka.close_quietly(admin)
    return sorted(p["partition"] for p in described["partitions"])


def _checkpoint(record: object) -> AuditCheckpoint:
    try:
        message = envelope.from_kafka(
            getattr(record, "value", b"") or b"", list(getattr(record, "headers", ()))
        )
        if message.type != CHECKPOINT:
            raise ValueError(f"type {message.type!r}")
        return AuditCheckpoint.model_validate_json(message.data)
    except ValueError as exc:
        where = f"{getattr(record, 'partition', '?')}/{getattr(record, 'offset', '?')}"
        raise UnreadableCheckpointError(f"the record at {where} is no checkpoint: {exc}") from exc
