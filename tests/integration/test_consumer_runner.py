"""The consumer runner's failure policy (sosa.infra.consumer_runner), clause by clause, on the real
broker and PostgreSQL: a toy stage that stores numbers, so that each clause is seen alone.

- a record that cannot be decoded is dead-lettered with its error, the others applied;
- a record whose apply fails, while the database answers, is dead-lettered alone after the batch
  is applied record by record; every other record is applied once;
- a database that cannot be used blames nothing: the batch is read again until it can, nothing is
  dead-lettered, nothing committed meanwhile, and the loop never exits;
- offsets are committed only after the batch is applied and its dead letters sent; a commit that
  fails is recovered from the group's committed offset, and the batch applied again is applied
  once (the stage is idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, Table, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from sosa.infra import db, kafka
from sosa.infra.consumer_runner import (
    Batches,
    ConsumerRunner,
    Decoded,
    OffsetCommitter,
    Record,
)
from sosa.infra.dead_letters import DeadLetters, Unreadable
from sosa.infra.settings import CommonSettings
from tests.e2e.stack import unique_prefix
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.db, pytest.mark.kafka, pytest.mark.timeout(120)]

ITEMS = Table("runner_items", MetaData(), Column("n", Integer, primary_key=True))
TOPIC = "runner.in"
WAIT_S = 30.0


class UnluckyError(ValueError):
    """What the toy stage raises for the number 13."""


@dataclass(frozen=True, slots=True)
class NumberStage:
    """Stores the number each record holds; refuses 13 (raises, after writing the batch)."""

    name: str = "runner-test"

    def decode(self, record: Record) -> int:
        value = json.loads(record.value)
        if not isinstance(value, int):
            raise TypeError(f"not a number: {value!r}")
        return value

    async def apply(self, session: AsyncSession, batch: Sequence[Decoded[int]]) -> list[int]:
        numbers = [d.item for d in batch]
        await db.insert_ignoring_duplicates(session, ITEMS, [{"n": n} for n in numbers])
        if 13 in numbers:
            raise UnluckyError("13 is refused")
        return numbers


@dataclass(frozen=True, slots=True)
class NumberPollStage(NumberStage):
    """NumberStage that can apply a poll's partitions in one transaction (`PollStage`); `polls`
    keeps how many partitions each such poll had."""

    polls: list[int] = field(default_factory=list)

    async def apply_poll(
        self, session: AsyncSession, batches: Mapping[TopicPartition, Sequence[Decoded[int]]]
    ) -> dict[TopicPartition, list[int]]:
        self.polls.append(len(batches))
        return {p: await self.apply(session, batch) for p, batch in batches.items()}


async def both_partitions(consumer: AIOKafkaConsumer, max_records: int) -> Batches:
    """A poll that waits until records of two partitions are in it (so that the runner applies
    them together), or half a second has passed."""
    batches: Batches = {}
    deadline = asyncio.get_running_loop().time() + 0.5
    while len(batches) < 2 and asyncio.get_running_loop().time() < deadline:
        for partition, records in (await consumer.getmany(timeout_ms=100)).items():
            batches[partition] = [*batches.get(partition, []), *records]
    return batches


class FailingOnce:
    """An OffsetCommitter whose first commit fails (as one refused after a rebalance)."""

    def __init__(self, inner: OffsetCommitter[int]) -> None:
        self.inner = inner
        self.failed = False
        self.recovered = 0

    async def commit(
        self,
        partition: TopicPartition,
        records: Sequence[Record],
        results: Sequence[int],
        letters: Sequence[Unreadable],
    ) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("injected: the commit failed")
        await self.inner.commit(partition, records, results, letters)

    async def recover(self, partition: TopicPartition) -> None:
        self.recovered += 1
        await self.inner.recover(partition)


@dataclass
class Bench:
    settings: CommonSettings
    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    dead_letters: DeadLetters

    def topic(self) -> str:
        return self.settings.topic(TOPIC)

    async def send(self, *values: bytes, partition: int = 0) -> list[int]:
        offsets = []
        for value in values:
            sent = await self.producer.send_and_wait(
                self.topic(), value, key=b"k", partition=partition
            )
            offsets.append(sent.offset)
        return offsets

    async def committed(self, partition: int = 0) -> int | None:
        committed: int | None = await self.consumer.committed(
            TopicPartition(self.topic(), partition)
        )
        return committed

    async def letters(self, count: int) -> list[dict[str, Any]]:
        """The first `count` dead letters, each as its headers (decoded) and value."""
        reader = AIOKafkaConsumer(
            self.dead_letters.topic,
            **as_super_user(self.settings.kafka_bootstrap_servers),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await reader.start()
        found: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(WAIT_S):
                while len(found) < count:
                    for records in (await reader.getmany(timeout_ms=500)).values():
                        found += [
                            {"value": r.value, **{k: v.decode() for k, v in r.headers}}
                            for r in records
                        ]
        finally:
            await reader.stop()
        return found


@pytest.fixture
async def bench(kafka_bootstrap: str) -> AsyncIterator[Bench]:
    """A topic of one partition."""
    async with bench_of(kafka_bootstrap, partitions=1) as made:
        yield made


@pytest.fixture
async def bench_of_two(kafka_bootstrap: str) -> AsyncIterator[Bench]:
    """A topic of two partitions."""
    async with bench_of(kafka_bootstrap, partitions=2) as made:
        yield made


@contextlib.asynccontextmanager
async def bench_of(kafka_bootstrap: str, *, partitions: int) -> AsyncIterator[Bench]:
    prefix = unique_prefix()
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix, topic_partitions=partitions
    )
    await kafka.ensure_topics(settings, [TOPIC, f"{TOPIC}.dlq"])
    producer = kafka.producer(settings, client_id="runner-test")
    consumer = kafka.consumer(
        settings, group_id=f"{prefix}runner", topics=[TOPIC], client_id="runner-test"
    )
    await producer.start()
    await consumer.start()
    try:
        yield Bench(
            settings,
            producer,
            consumer,
            DeadLetters(producer, topic=settings.topic(f"{TOPIC}.dlq"), consumer="runner-test"),  # type: ignore[arg-type]  # AIOKafkaProducer.send_and_wait takes these keywords
        )
    finally:
        await consumer.stop()
        await producer.stop()


@contextlib.asynccontextmanager
async def database(admin_url: str, *, create: bool = True) -> AsyncIterator[tuple[str, Any]]:
    """A scratch database's URL (created now, or later by calling the yielded function)."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"sosa_runner_it_{uuid.uuid4().hex[:10]}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    async def make() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(ITEMS.metadata.create_all)
        await engine.dispose()

    if create:
        await make()
    try:
        yield url, make
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def stored(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return sorted((await connection.execute(select(ITEMS.c.n))).scalars())


async def until(condition: Any, what: str) -> None:
    """Poll `condition` (the broker and the database have no event to wait on) until it holds."""
    try:
        async with asyncio.timeout(WAIT_S):
            while not await condition():  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT_S:g} s: {what}") from None


@contextlib.asynccontextmanager
async def running(runner: ConsumerRunner[int, int]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_unreadable_and_failing_records_are_dead_lettered_alone(
    bench: Bench, postgres_admin_url: str
) -> None:
    async with database(postgres_admin_url) as (url, _):
        engine = db.create_engine(url)
        runner = ConsumerRunner(
            bench.consumer,
            db.sessionmaker(engine),
            NumberStage(),
            OffsetCommitter(bench.consumer, bench.dead_letters),
        )
        offsets = await bench.send(b"1", b"\xff not json", b"2", b"13", b"[3]", b"4")
        async with running(runner) as task:
            await until(lambda: _committed_is(bench, offsets[-1] + 1), "the batch committed")
            assert not task.done(), "the loop is still running"
        assert await stored(engine) == [1, 2, 4], "13 was written with its batch, then undone"
        letters = await bench.letters(3)
        await engine.dispose()
    assert [
        (
            letter["sosa_original_offset"],
            letter["sosa_error_class"],
            letter["sosa_consumer"],
            letter["value"],
        )
        for letter in letters
    ] == [
        (str(offsets[1]), "UnicodeDecodeError", "runner-test", b"\xff not json"),
        (str(offsets[3]), "UnluckyError", "runner-test", b"13"),
        (str(offsets[4]), "TypeError", "runner-test", b"[3]"),
    ]
    assert letters[1]["sosa_error"] == "UnluckyError: 13 is refused"
    assert {letter["sosa_original_topic"] for letter in letters} == {bench.topic()}
    assert {letter["sosa_original_partition"] for letter in letters} == {"0"}


async def test_a_database_outage_blames_nothing_and_the_batch_is_read_again(
    bench: Bench, postgres_admin_url: str
) -> None:
    """The database does not exist yet (3D000, an error no outage code names): the runner
    asks it for SELECT 1, gets nothing, and reads the batch again with backoff until it does."""
    async with database(postgres_admin_url, create=False) as (url, make):
        engine = db.create_engine(url)
        runner = ConsumerRunner(
            bench.consumer,
            db.sessionmaker(engine),
            NumberStage(),
            OffsetCommitter(bench.consumer, bench.dead_letters),
            max_backoff_s=0.5,
        )
        offsets = await bench.send(b"1", b"2")
        async with running(runner) as task:
            await asyncio.sleep(2.0)
            assert await bench.committed() is None, "nothing is committed during the outage"
            assert runner.handled == 0
            await make()
            await until(lambda: _committed_is(bench, offsets[-1] + 1), "the batch committed")
            assert not task.done()
        assert await stored(engine) == [1, 2]
        await engine.dispose()
    letters_end = await _end_offset(bench, bench.dead_letters.topic)
    assert letters_end == 0, "nothing was dead-lettered"


async def test_a_poll_applied_in_one_transaction_blames_nothing_in_an_outage(
    bench_of_two: Bench, postgres_admin_url: str
) -> None:
    """With a poll stage, a poll of two partitions is applied in one transaction; while the
    database cannot be used, both batches are read again, nothing committed or dead-lettered,
    then both are applied and committed."""
    bench = bench_of_two
    async with database(postgres_admin_url, create=False) as (url, make):
        engine = db.create_engine(url)
        stage = NumberPollStage()
        runner = ConsumerRunner(
            bench.consumer,
            db.sessionmaker(engine),
            stage,
            OffsetCommitter(bench.consumer, bench.dead_letters),
            max_backoff_s=0.5,
            poll=both_partitions,
            poll_stage=stage,
        )
        zero = await bench.send(b"1", b"2", partition=0)
        one = await bench.send(b"3", partition=1)
        async with running(runner) as task:
            await asyncio.sleep(2.0)
            assert (await bench.committed(0), await bench.committed(1)) == (None, None)
            assert runner.handled == 0
            await make()
            await until(lambda: _committed_is(bench, zero[-1] + 1), "partition 0 committed")
            await until(lambda: _committed_is(bench, one[-1] + 1, 1), "partition 1 committed")
            assert not task.done()
        assert await stored(engine) == [1, 2, 3]
        assert 2 in stage.polls, "the two partitions were applied together"
        await engine.dispose()
    assert await _end_offset(bench, bench.dead_letters.topic) == 0, "nothing dead-lettered"


async def test_a_failed_commit_reads_the_batch_again_and_applies_it_once(
    bench: Bench, postgres_admin_url: str
) -> None:
    async with database(postgres_admin_url) as (url, _):
        engine = db.create_engine(url)
        committer = FailingOnce(OffsetCommitter(bench.consumer, bench.dead_letters))
        runner = ConsumerRunner(bench.consumer, db.sessionmaker(engine), NumberStage(), committer)
        offsets = await bench.send(b"5", b"6", b"7")
        async with running(runner):
            await until(lambda: _committed_is(bench, offsets[-1] + 1), "the batch committed")
        assert committer.recovered == 1
        assert await stored(engine) == [5, 6, 7]
        assert runner.handled == 3, "the batch counted once, when committed"
        await engine.dispose()


async def _committed_is(bench: Bench, offset: int, partition: int = 0) -> bool:
    return await bench.committed(partition) == offset


async def _end_offset(bench: Bench, topic: str) -> int:
    partition = TopicPartition(topic, 0)
    ends = await bench.consumer.end_offsets([partition])
    return int(ends[partition])
