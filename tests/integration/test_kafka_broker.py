"""aiokafka 0.14 against the real Kafka broker that scripts/kafka.sh runs (Kafka 4.1.2, KRaft).

Proves the client features sosa relies on, one broker round trip at a time:
(a) produce/consume keeps key, value, headers and order;
(b) a consumer group of two members splits a 4-partition topic and commits offsets by hand;
(c) the idempotent producer (acks=all) writes each record exactly once;
(d) a consume-transform-produce transaction commits outputs and the group's offsets atomically,
    and an aborted transaction leaves neither outputs (for read_committed) nor offsets behind.

Every test uses its own uuid-suffixed topics, groups and transactional ids, and deletes its topics.
Run: scripts/kafka.sh start && uv run pytest tests/integration/test_kafka_broker.py -q
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sosa.infra.stable_offsets import UnstableOffsets, committed_stable
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(60)]

WAIT_S = 20.0  # upper bound for any one "eventually" below; a healthy broker needs well under 2 s

TopicFactory = Callable[[str, int], Awaitable[str]]


class DeliberateAbortError(Exception):
    """Raised inside producer.transaction() to make it abort."""


def unique(kind: str) -> str:
    return f"it.kafka-broker.{kind}.{uuid.uuid4().hex[:12]}"


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_S:.0f}s: {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(**as_super_user(kafka_bootstrap), client_id="it-kafka-broker")
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def new_topic(admin: AIOKafkaAdminClient) -> AsyncIterator[TopicFactory]:
    """Create a uniquely named topic (replication 1) and wait until every partition has a leader."""
    created: list[str] = []

    async def create(kind: str, partitions: int) -> str:
        name = unique(kind)
        response = await admin.create_topics([NewTopic(name, partitions, 1)])
        errors = [t for t in response.to_object()["topic_errors"] if t["error_code"] != 0]
        assert errors == [], f"CreateTopics failed: {errors}"
        created.append(name)

        async def has_leaders() -> bool:
            (meta,) = await admin.describe_topics([name])
            parts = meta["partitions"]
            return (
                meta["error_code"] == 0
                and len(parts) == partitions
                and all(p["error_code"] == 0 and p["leader"] >= 0 for p in parts)
            )

        await eventually(has_leaders, f"{name} has a leader for all {partitions} partitions")
        return name

    yield create
    if created:
        response = await admin.delete_topics(created)
        errors = [t for t in response.to_object()["topic_error_codes"] if t["error_code"] != 0]
        assert errors == [], f"DeleteTopics failed: {errors}"


async def started_producer(bootstrap: str, **config: object) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(**as_super_user(bootstrap), **config)
    await producer.start()
    return producer


async def consume(consumer: AIOKafkaConsumer, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Exactly `count` records, then prove no extra record arrives within 0.5 s."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + WAIT_S
    while len(records) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"consumed {len(records)} of {count} records within {WAIT_S:.0f}s")
        batches = await consumer.getmany(timeout_ms=200)
        records.extend(r for batch in batches.values() for r in batch)
    extra = await consumer.getmany(timeout_ms=500)
    records.extend(r for batch in extra.values() for r in batch)
    assert len(records) == count, f"expected {count} records, got {len(records)}"
    return records


def values(records: Iterable[ConsumerRecord[bytes, bytes]]) -> list[bytes]:
    return [r.value for r in records if r.value is not None]


def next_offsets(records: Iterable[ConsumerRecord[bytes, bytes]]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    return offsets


async def test_round_trip_keeps_key_value_headers_and_order(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("roundtrip", 1)
    headers = [("ce-type", b"sosa.test.v1"), ("ce-id", uuid.uuid4().bytes), ("empty", b"")]
    producer = await started_producer(kafka_bootstrap, acks="all")
    try:
        sent = [
            await producer.send_and_wait(topic, value=f"v{i}".encode(), key=b"k", headers=headers)
            for i in range(3)
        ]
    finally:
        await producer.stop()
    assert [(m.partition, m.offset) for m in sent] == [(0, 0), (0, 1), (0, 2)]

    consumer = AIOKafkaConsumer(
        topic,
        **as_super_user(kafka_bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        records = await consume(consumer, 3)
    finally:
        await consumer.stop()
    assert values(records) == [b"v0", b"v1", b"v2"]
    assert [r.offset for r in records] == [0, 1, 2]
    for record, meta in zip(records, sent, strict=True):
        assert record.key == b"k"
        assert list(record.headers) == headers
        assert record.timestamp == meta.timestamp


async def test_group_of_two_splits_partitions_and_commits_offsets(
    kafka_bootstrap: str, new_topic: TopicFactory, admin: AIOKafkaAdminClient
) -> None:
    partitions, per_partition = 4, 5
    topic = await new_topic("group", partitions)
    everything = {TopicPartition(topic, p) for p in range(partitions)}
    producer = await started_producer(kafka_bootstrap, acks="all")
    try:
        for p in range(partitions):
            for i in range(per_partition):
                await producer.send(topic, value=f"p{p}-{i}".encode(), partition=p)
        await producer.flush()
    finally:
        await producer.stop()

    group = unique("group")
    members = [
        AIOKafkaConsumer(
            topic,
            **as_super_user(kafka_bootstrap),
            group_id=group,
            client_id=f"member-{n}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            heartbeat_interval_ms=200,
        )
        for n in (1, 2)
    ]
    first, second = members
    await first.start()
    try:

        async def first_owns_all() -> bool:
            return bool(first.assignment() == everything)

        await eventually(first_owns_all, "the only member owns all partitions")
        await second.start()

        async def split() -> bool:
            a, b = first.assignment(), second.assignment()
            return bool(a) and bool(b) and not (a & b) and (a | b) == everything

        await eventually(split, "both members own disjoint, non-empty shares of the partitions")

        for member in members:
            mine = member.assignment()
            records = await consume(member, per_partition * len(mine))
            assert {TopicPartition(r.topic, r.partition) for r in records} == mine
            assert sorted(values(records)) == sorted(
                f"p{tp.partition}-{i}".encode() for tp in mine for i in range(per_partition)
            )
            await member.commit()
            for tp in mine:
                assert await member.committed(tp) == per_partition

        committed = await admin.list_consumer_group_offsets(group)
        assert {tp: meta.offset for tp, meta in committed.items()} == dict.fromkeys(
            everything, per_partition
        )
    finally:
        for member in members:
            await member.stop()


async def test_idempotent_producer_writes_each_record_once(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    count = 300
    topic = await new_topic("idempotent", 3)
    producer = await started_producer(
        kafka_bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    try:
        futures = [
            await producer.send(topic, key=f"k{i % 7}".encode(), value=f"m{i:04d}".encode())
            for i in range(count)
        ]
        await asyncio.gather(*futures)
        # The broker handed out a producer id (InitProducerId): idempotence is really on.
        assert producer._txn_manager is not None
        assert producer._txn_manager.producer_id >= 0
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        **as_super_user(kafka_bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        records = await consume(consumer, count)
    finally:
        await consumer.stop()
    seen = Counter(values(records))
    assert seen == Counter(f"m{i:04d}".encode() for i in range(count))
    for p in range(3):
        in_partition = [r for r in records if r.partition == p]
        assert [r.offset for r in in_partition] == list(range(len(in_partition)))
        # Per key (hence per partition) the send order survives.
        assert values(in_partition) == sorted(values(in_partition))


async def test_transactions_commit_outputs_with_offsets_and_abort_leaves_nothing(
    kafka_bootstrap: str, new_topic: TopicFactory, admin: AIOKafkaAdminClient
) -> None:
    in_topic = await new_topic("txn-in", 2)
    out_topic = await new_topic("txn-out", 2)
    group = unique("txn-group")

    plain = await started_producer(kafka_bootstrap, acks="all")
    txn = await started_producer(kafka_bootstrap, transactional_id=unique("txn-id"), acks="all")
    worker = AIOKafkaConsumer(
        in_topic,
        **as_super_user(kafka_bootstrap),
        group_id=group,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await worker.start()
    try:
        # --- committed transaction: 6 inputs -> 6 outputs + the group's offsets, atomically.
        for i in range(6):
            await plain.send(in_topic, value=f"in-{i}".encode(), partition=i % 2)
        await plain.flush()
        batch = await consume(worker, 6)
        committed_offsets = next_offsets(batch)
        assert committed_offsets == {TopicPartition(in_topic, 0): 3, TopicPartition(in_topic, 1): 3}
        async with txn.transaction():
            for r in batch:
                await txn.send(out_topic, value=b"out-" + r.value, partition=r.partition)
            await txn.send_offsets_to_transaction(committed_offsets, group)

        async def offsets_are(expected: dict[TopicPartition, int]) -> bool:
            got = await admin.list_consumer_group_offsets(group)
            return {tp: m.offset for tp, m in got.items()} == expected

        await eventually(
            lambda: offsets_are(committed_offsets), "the transaction committed the group's offsets"
        )
        for tp, offset in committed_offsets.items():
            assert await worker.committed(tp) == offset

        # --- aborted transaction: 4 more inputs, outputs written to the log, then abort.
        for i in range(6, 10):
            await plain.send(in_topic, value=f"in-{i}".encode(), partition=i % 2)
        await plain.flush()
        batch = await consume(worker, 4)

        async def write_then_abort() -> None:
            async with txn.transaction():
                for r in batch:
                    await txn.send(out_topic, value=b"aborted-" + r.value, partition=r.partition)
                await txn.send_offsets_to_transaction(next_offsets(batch), group)
                await txn.flush()  # the aborted records really reach the partition logs
                raise DeliberateAbortError

        with pytest.raises(DeliberateAbortError):
            await write_then_abort()
        # A committed transaction after the aborted one, one end marker per partition.
        async with txn.transaction():
            for p in range(2):
                await txn.send(out_topic, value=b"end", partition=p)
        assert await offsets_are(committed_offsets), "the aborted transaction moved the offsets"
    finally:
        await worker.stop()
        await txn.stop()
        await plain.stop()

    committed_view = await read_all(kafka_bootstrap, out_topic, "read_committed", 6 + 2)
    assert sorted(committed_view) == sorted(
        [f"out-in-{i}".encode() for i in range(6)] + [b"end", b"end"]
    )
    # The aborted records are in the log: a read_uncommitted reader sees them.
    everything = await read_all(kafka_bootstrap, out_topic, "read_uncommitted", 6 + 4 + 2)
    assert sorted(v for v in everything if v.startswith(b"aborted-")) == [
        f"aborted-in-{i}".encode() for i in range(6, 10)
    ]


async def read_all(bootstrap: str, topic: str, isolation: str, count: int) -> list[bytes]:
    reader = AIOKafkaConsumer(
        topic,
        **as_super_user(bootstrap),
        isolation_level=isolation,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        return values(await consume(reader, count))
    finally:
        await reader.stop()


async def test_a_stable_offset_fetch_waits_out_an_open_transaction(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """`sosa.infra.stable_offsets.committed_stable` sends OffsetFetch v7 with require_stable: no
    offset yet reads None; while a transaction holding offsets for the partition is open the
    broker answers UNSTABLE_OFFSET_COMMIT (the call gives up at its deadline); once the
    transaction commits, the call returns its offset (aiokafka's `committed()` would have
    answered the old offset throughout)."""
    topic = await new_topic("stable", 1)
    partition = TopicPartition(topic, 0)
    group = unique("stable-group")
    consumer = AIOKafkaConsumer(
        **as_super_user(kafka_bootstrap), group_id=group, enable_auto_commit=False
    )
    producer = AIOKafkaProducer(
        **as_super_user(kafka_bootstrap), transactional_id=unique("stable-txn")
    )
    await consumer.start()
    await producer.start()
    try:
        assert await committed_stable(consumer, partition) is None
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"output")
        await producer.send_offsets_to_transaction({partition: 7}, group)
        with pytest.raises(UnstableOffsets):
            await committed_stable(consumer, partition, timeout_s=1.0)
        assert await consumer.committed(partition) is None  # v3: the old answer, no error
        await producer.commit_transaction()
        assert await committed_stable(consumer, partition) == 7
    finally:
        await producer.stop()
        await consumer.stop()
