"""aiokafka clients configured the one way sosa uses them: idempotent, acks=all, manual commits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from sosa.infra.kafka_security import client_options
from sosa.infra.settings import CommonSettings


def producer(
    settings: CommonSettings, *, client_id: str, transactional_id: str | None = None
) -> AIOKafkaProducer:
    """An idempotent producer with acks=all; transactional when given a transactional id."""
    return AIOKafkaProducer(
        **client_options(settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        compression_type=None,
        transactional_id=transactional_id,
        request_timeout_ms=30_000,
    )


def consumer(
    settings: CommonSettings, *, group_id: str, topics: Iterable[str], client_id: str
) -> AIOKafkaConsumer:
    """A group consumer that never auto-commits and reads only committed transactions; what it
    fetches ahead and returns per poll is bounded by `SOSA_KAFKA_MAX_PARTITION_FETCH_BYTES` and
    `SOSA_KAFKA_MAX_POLL_RECORDS` (the memory of a catch-up against its CPU per record)."""
    return AIOKafkaConsumer(
        *[settings.topic(t) for t in topics],
        **client_options(settings),
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=settings.kafka_max_poll_records,
        max_partition_fetch_bytes=settings.kafka_max_partition_fetch_bytes,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
    )


def max_poll_records(consumer: AIOKafkaConsumer) -> int:
    """The most records one `getmany` of `consumer` returns when not told otherwise (its
    `max_poll_records`, `SOSA_KAFKA_MAX_POLL_RECORDS` for the consumers made here)."""
    return int(consumer._max_poll_records)  # aiokafka keeps no public accessor


def admin(settings: CommonSettings, *, client_id: str, **config: Any) -> AIOKafkaAdminClient:
    """An admin client authenticated as this process's principal."""
    return AIOKafkaAdminClient(**client_options(settings), client_id=client_id, **config)


async def ensure_topics(
    settings: CommonSettings,
    names: Iterable[str],
    *,
    compacted: Iterable[str] = (),
    kept_forever: Iterable[str] = (),
) -> None:
    """Create the contract topics this deployment uses, if they do not exist yet."""
    compacted_names, forever = set(compacted), set(kept_forever)
    client = admin(settings, client_id="sosa-topics")
    await start_checked(client, settings)
    try:
        existing = set(await client.list_topics())
        wanted = [
            NewTopic(
                name=settings.topic(name),
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
                topic_configs=(
                    {"cleanup.policy": "compact"}
                    if name in compacted_names
                    else {"retention.ms": "-1"}
                    if name in forever
                    else {}
                ),
            )
            for name in names
            if settings.topic(name) not in existing
        ]
        if wanted:
            # another service may create one between our list and our create
            with contextlib.suppress(TopicAlreadyExistsError):
                await client.create_topics(wanted)
    finally:
        await client.close()


async def start_checked(
    client: AIOKafkaProducer | AIOKafkaConsumer | AIOKafkaAdminClient, settings: CommonSettings
) -> None:
    """Start a client; raise ConnectionError with a readable message when Kafka does not answer."""
    try:
        async with asyncio.timeout(settings.startup_timeout_s):
            await client.start()
    except Exception as exc:
        await close_quietly(client)
        raise ConnectionError(
            f"Kafka at {settings.kafka_bootstrap_servers} is unreachable: {exc!r}"
        ) from exc


async def is_reachable(
    client: AIOKafkaProducer | AIOKafkaConsumer, *, timeout_s: float = 2.0
) -> bool:
    """Readiness: the client can refresh cluster metadata from a broker right now."""
    try:
        async with asyncio.timeout(timeout_s):
            if isinstance(client, AIOKafkaConsumer):
                await client.topics()  # fetches the cluster's metadata afresh
                return True
            return bool(await client.client.force_metadata_update())
    except Exception:
        return False


async def close_quietly(client: AIOKafkaProducer | AIOKafkaConsumer | AIOKafkaAdminClient) -> None:
    """Release a client that may never have started, ignoring any error."""
    with contextlib.suppress(Exception):
        if isinstance(client, AIOKafkaAdminClient):
            await client.close()
        else:
            await client.stop()
