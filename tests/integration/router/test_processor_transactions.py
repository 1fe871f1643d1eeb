"""The router's Kafka-transaction failure path on the real broker and PostgreSQL.

The router is built from its real pieces, as `sosa.router.app` builds it (PartitionProducers,
the group consumer, Processor, Handlers), on topics of its own (one partition, so that order
across batches is the log's order). Each test injects one fault by wrapping a method of the real
partition producer once: its commit fails before committing, commits and then loses the answer,
or is fenced by a second owner of the partition's transactional id. In every case each submitted
command ends with exactly one routing outcome visible to a read_committed reader, and a batch is
published again only when its transaction did not commit.

After the fault, one more command (the sentinel) is sent and awaited: on a single partition its
outcome comes after anything the router published for the earlier batches, so the counts read
up to it are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, ProducerFenced
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import commands, envelope, topics
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra import kafka
from sosa.infra.clock import AdjustableClock
from sosa.router import tables
from sosa.router.handlers import Handlers
from sosa.router.processor import Processor
from sosa.router.producers import PartitionProducers
from sosa.router.settings import RouterSettings
from tests.e2e.stack import unique_prefix
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.router.router_support import message
from tests.kafka_principals import as_super_user
from tests.unit.intake.builders import DOD_REGISTERED

pytestmark = [pytest.mark.db, pytest.mark.kafka, pytest.mark.timeout(90)]

SUBMITS = 5
COMMIT_FAILED = "committing the batch failed; reading again from the committed offset"
WAIT_S = 25.0


@pytest.fixture
async def settings(kafka_bootstrap: str) -> RouterSettings:
    """Topics, group and transactional ids of this test alone; the topics exist, as they do
    once a service has started (sosa.infra.startup)."""
    prefix = unique_prefix()  # the session deletes its topics at the end
    settings = RouterSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        topic_partitions=1,
        router_group=f"{prefix}router",
        router_transactional_id=f"{prefix}router",
    )
    await kafka.ensure_topics(settings, topics.ALL, compacted=topics.COMPACTED)
    return settings


def submit(request_id: str) -> commands.SubmitRequest:
    return commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id=request_id,
        received_at=datetime.now(UTC),
        details=PriorityRequestDetails.model_validate(DPAS_REQUEST),
        registered=DOD_REGISTERED,  # as intake attaches it (#23)
    )


class Fault:
    """Wraps the real partition producer's `commit_transaction` for its first call, and watches
    `send_offsets_to_transaction` to learn where that first batch ends."""

    def __init__(self) -> None:
        self.fired = False
        self.first_batch_end: int | None = None

    def install(self, producer: Any) -> None:
        commit: Callable[[], Awaitable[None]] = producer.commit_transaction
        send_offsets: Callable[[dict[TopicPartition, int], str], Awaitable[None]] = (
            producer.send_offsets_to_transaction
        )

        async def watched_send_offsets(offsets: dict[TopicPartition, int], group_id: str) -> None:
            if self.first_batch_end is None:
                self.first_batch_end = max(offsets.values())
            await send_offsets(offsets, group_id)

        async def faulty_commit() -> None:
            if self.fired:
                await commit()
                return
            self.fired = True
            await self.inject(producer, commit)

        producer.send_offsets_to_transaction = watched_send_offsets
        producer.commit_transaction = faulty_commit

    async def inject(self, producer: Any, commit: Callable[[], Awaitable[None]]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class FailsBeforeCommitting(Fault):
    async def inject(self, producer: Any, commit: Callable[[], Awaitable[None]]) -> None:
        raise KafkaError("injected: commit_transaction failed before committing")


class LosesTheAnswer(Fault):
    async def inject(self, producer: Any, commit: Callable[[], Awaitable[None]]) -> None:
        await commit()
        raise KafkaError("injected: the transaction committed but its answer was lost")


class FencedByAnotherOwner(Fault):
    """Before the first commit, a second owner of the partition (a PartitionProducers with the
    same id prefix) takes its transactional id as `renew` does: the broker aborts the open
    transaction and the first producer's commit is fenced. The batch's records are written
    first (flush), so that the fencing meets the commit and not a send still under way."""

    def __init__(self, settings: RouterSettings, partition: TopicPartition) -> None:
        super().__init__()
        self.other = PartitionProducers(settings, id_prefix=settings.router_transactional_id)
        self.partition = partition
        self.commit_error: BaseException | None = None

    async def inject(self, producer: Any, commit: Callable[[], Awaitable[None]]) -> None:
        await producer.flush()
        async with self.other.lock:
            await self.other.renew(self.partition)
        try:
            await commit()
        except BaseException as exc:
            self.commit_error = exc
            raise

    async def close(self) -> None:
        await self.other.stop_all()


class CommittedByThePreviousOwner(Fault):
    """Just before the router's first transaction, the partition's previous owner commits the
    start of the batch: it publishes the outcomes of the first commands and commits the group's
    offset past them, in one transaction, as a router whose commit was under way when the
    partition moved to this one would. The router read its position (0) before that. Another
    transactional id stands in for the previous owner's: with the same id, the broker settles
    the old transaction before the new owner's first `begin_transaction` returns; here the
    fault waits until the group's committed offset shows it."""

    def __init__(self, settings: RouterSettings, partition: TopicPartition, done: list[str]):
        super().__init__()
        self.settings = settings
        self.partition = partition
        self.done = done
        self.previous_committed = False

    def install(self, producer: Any) -> None:
        super().install(producer)
        begin: Callable[[], Awaitable[None]] = producer.begin_transaction

        async def begin_after_the_previous_owner() -> None:
            if not self.previous_committed:
                self.previous_committed = True
                await self.previous_owner_commits()
            await begin()

        producer.begin_transaction = begin_after_the_previous_owner

    async def inject(self, producer: Any, commit: Callable[[], Awaitable[None]]) -> None:
        await commit()

    async def previous_owner_commits(self) -> None:
        settings = self.settings
        previous = kafka.producer(
            settings,
            client_id="sosa-test-previous-owner",
            transactional_id=f"{settings.router_transactional_id}-previous-owner",
        )
        offsets = kafka.consumer(
            settings, group_id=settings.router_group, topics=[], client_id="sosa-test-offsets"
        )
        try:
            await kafka.start_checked(previous, settings)
            await kafka.start_checked(offsets, settings)
            async with previous.transaction():
                for command_id in self.done:
                    value = json.dumps({"caused_by": command_id}).encode()
                    await previous.send(settings.topic(topics.OUTCOMES), value)
                await previous.send_offsets_to_transaction(
                    {self.partition: len(self.done)}, settings.router_group
                )
            async with asyncio.timeout(WAIT_S):
                while await offsets.committed(self.partition) != len(self.done):  # noqa: ASYNC110 - polled: the broker has no event for it
                    await asyncio.sleep(0.05)
        finally:
            await kafka.close_quietly(previous)
            await kafka.close_quietly(offsets)


class OutcomeReader:
    """Counts the outcome events on the outcome topic by the command that caused them."""

    def __init__(self, settings: RouterSettings, *, isolation_level: str) -> None:
        self._settings = settings
        self._consumer = AIOKafkaConsumer(
            **as_super_user(settings.kafka_bootstrap_servers),
            client_id=f"sosa-test-outcomes-{isolation_level}",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level=isolation_level,
        )
        self.by_cause: Counter[str] = Counter()

    async def start(self) -> None:
        await kafka.start_checked(self._consumer, self._settings)
        self._consumer.assign([TopicPartition(self._settings.topic(topics.OUTCOMES), 0)])

    async def stop(self) -> None:
        await kafka.close_quietly(self._consumer)

    async def read_until(self, causes: Iterable[str], router: asyncio.Task[None]) -> Counter[str]:
        """Read until each of `causes` has an outcome (polling, with a deadline)."""
        wanted = set(causes)
        try:
            async with asyncio.timeout(WAIT_S):
                while not wanted <= self.by_cause.keys():
                    if router.done():
                        router.result()  # the processor died: show why
                        pytest.fail("the processor stopped")
                    batches = await self._consumer.getmany(timeout_ms=200)
                    for records in batches.values():
                        for record in records:
                            self.by_cause[json.loads(record.value)["caused_by"]] += 1
        except TimeoutError:
            missing = sorted(wanted - self.by_cause.keys())
            pytest.fail(f"no outcome within {WAIT_S} s for {missing}")
        return self.by_cause


class Harness:
    """A command producer standing in for intake's relay, the router, and outcome readers."""

    def __init__(
        self,
        settings: RouterSettings,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Handlers,
        stack: contextlib.AsyncExitStack,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.handlers = handlers
        self.partition = TopicPartition(settings.topic(topics.REQUESTS), 0)
        self.committed = OutcomeReader(settings, isolation_level="read_committed")
        self.uncommitted = OutcomeReader(settings, isolation_level="read_uncommitted")
        self._commands = kafka.producer(settings, client_id="sosa-test-relay")
        self._stack = stack
        self.consumer: AIOKafkaConsumer | None = None
        self.router: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for reader in (self.committed, self.uncommitted):
            self._stack.push_async_callback(reader.stop)
            await reader.start()
        self._stack.push_async_callback(kafka.close_quietly, self._commands)
        await kafka.start_checked(self._commands, self.settings)

    async def send(self, *commands_: commands.Command) -> None:
        """Publish commands as intake's outbox relay does: CloudEvents in binary mode."""
        for command in commands_:
            key, value, headers = envelope.to_kafka(message(command))
            await self._commands.send_and_wait(
                self.partition.topic, value, key=key, headers=headers
            )

    async def start_router(self, fault: Fault) -> asyncio.Task[None]:
        """The router as `sosa.router.app` builds it, with `fault` in its partition's producer."""
        producers = PartitionProducers(
            self.settings, id_prefix=self.settings.router_transactional_id
        )
        consumer = kafka.consumer(
            self.settings, group_id=self.settings.router_group, topics=[], client_id="sosa-router"
        )
        self._stack.push_async_callback(fault.close)
        self._stack.push_async_callback(producers.stop_all)
        self._stack.push_async_callback(kafka.close_quietly, consumer)
        await kafka.start_checked(consumer, self.settings)
        consumer.subscribe([self.partition.topic], listener=producers)
        async with producers.lock:  # the producer the processor will use for the partition
            fault.install(await producers.for_partition(self.partition))
        processor = Processor(
            consumer=consumer,
            producers=producers,
            sessions=self.sessions,
            handler=self.handlers,
            settings=self.settings,
            group_id=self.settings.router_group,
            clock=AdjustableClock(),
        )
        self.consumer = consumer
        self.router = asyncio.create_task(processor.run())
        self._stack.push_async_callback(cancel, self.router)
        return self.router

    async def run(
        self, fault: Fault, submits: list[commands.SubmitRequest] | None = None
    ) -> tuple[list[str], Counter[str]]:
        """Send the submits, run the router with the fault, wait for their outcomes, then for
        the sentinel's; returns every command id (sentinel last) and the committed counts."""
        submits = submits or [submit(f"r-{i}") for i in range(SUBMITS)]
        await self.send(*submits)
        router = await self.start_router(fault)
        ids = [s.command_id for s in submits]
        await self.committed.read_until(ids, router)
        assert fault.fired, "the first batch's commit went through the fault"
        sentinel = submit("r-sentinel")
        await self.send(sentinel)
        ids.append(sentinel.command_id)
        return ids, Counter(await self.committed.read_until(ids, router))

    async def group_offset(self) -> int | None:
        assert self.consumer is not None
        committed: int | None = await self.consumer.committed(self.partition)
        return committed

    async def inbox(self) -> list[tuple[str, int]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(tables.inbox.c.event_id, tables.inbox.c.offset).order_by(
                    tables.inbox.c.offset
                )
            )
            return [(row.event_id, row.offset) for row in rows]

    async def raw_counts(self, ids: list[str]) -> dict[str, int]:
        """Outcomes per command as a read_uncommitted reader sees them, aborted ones included."""
        assert self.router is not None
        counts = await self.uncommitted.read_until(ids, self.router)
        return {i: counts[i] for i in ids}

    def messages(self, result: str) -> int:
        """The router's `sosa_messages_total` for this test's request topic."""
        value = REGISTRY.get_sample_value(
            "sosa_messages_total",
            {"service": "router", "topic": self.partition.topic, "result": result},
        )
        return int(value or 0)


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def harness(
    settings: RouterSettings,
    sessions: async_sessionmaker[AsyncSession],
    handlers: Handlers,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Harness]:
    caplog.set_level(logging.INFO, logger="sosa.router")
    async with contextlib.AsyncExitStack() as stack:
        harness = Harness(settings, sessions, handlers, stack)
        await harness.start()
        yield harness


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name in ("sosa.router.processor", "sosa.infra.consumer_runner")
        and r.levelno >= logging.ERROR
    ]


async def test_a_commit_that_fails_before_committing_republishes_the_batch_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fault = FailsBeforeCommitting()
    ids, counts = await harness.run(fault)

    assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1), "one outcome per submit"
    assert fault.first_batch_end is not None
    failed = ids[: fault.first_batch_end]
    assert harness.messages("republished") == len(failed), "the aborted batch, read again"
    assert harness.messages("decided") == len(ids), "each command decided once"
    assert harness.messages("duplicate") == 0
    assert await harness.inbox() == [(i, offset) for offset, i in enumerate(ids)]
    assert await harness.group_offset() == len(ids)
    assert failures(caplog) == [COMMIT_FAILED]
    # the aborted attempt's outcomes are in the log, hidden from read_committed readers
    raw = await harness.raw_counts(ids)  # the aborted attempt is in the log, hidden
    assert raw == {i: 2 if i in failed else 1 for i in ids}


async def test_a_commit_whose_answer_is_lost_is_not_republished(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fault = LosesTheAnswer()
    ids, counts = await harness.run(fault)

    assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1), "one outcome per submit"
    assert harness.messages("republished") == 0, "the committed batch was not read again"
    assert harness.messages("decided") == len(ids)
    assert harness.messages("duplicate") == 0
    assert await harness.inbox() == [(i, offset) for offset, i in enumerate(ids)]
    assert await harness.group_offset() == len(ids)
    assert await harness.raw_counts(ids) == dict.fromkeys(ids, 1), "nothing was even aborted"
    assert failures(caplog) == [COMMIT_FAILED]


async def test_a_commit_fenced_by_another_owner_recovers_with_one_outcome_each(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fault = FencedByAnotherOwner(harness.settings, harness.partition)
    ids, counts = await harness.run(fault)

    assert isinstance(fault.commit_error, ProducerFenced), fault.commit_error
    assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1), "one outcome per submit"
    assert fault.first_batch_end is not None
    failed = ids[: fault.first_batch_end]
    assert harness.messages("republished") == len(failed), "the fenced batch, read again"
    assert harness.messages("decided") == len(ids)
    assert harness.messages("duplicate") == 0
    assert await harness.inbox() == [(i, offset) for offset, i in enumerate(ids)]
    assert await harness.group_offset() == len(ids)
    assert await harness.raw_counts(ids) == {i: 2 if i in failed else 1 for i in ids}
    assert failures(caplog) == [COMMIT_FAILED]


async def test_a_batch_its_previous_owner_committed_meanwhile_is_not_published_again(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A new owner of a partition reads its position when the partition is assigned; should
    the previous owner's last transaction commit after that (a router killed or cut off while
    committing, found doubling outcomes in the fault suite under load), the new owner's first
    transaction finds the committed offset past its batch and publishes none of it."""
    submits = [submit(f"r-{i}") for i in range(SUBMITS)]
    done = [s.command_id for s in submits[:2]]
    fault = CommittedByThePreviousOwner(harness.settings, harness.partition, done)
    ids, counts = await harness.run(fault, submits)

    assert fault.previous_committed
    assert {i: counts[i] for i in ids} == dict.fromkeys(ids, 1), "one outcome per submit"
    assert harness.messages("committed_by_previous_owner") == len(done)
    assert await harness.group_offset() == len(ids)
    assert await harness.raw_counts(ids) == dict.fromkeys(ids, 1), "nothing even aborted"
    assert failures(caplog) == []
