"""The one consume loop of every service that changes state from a topic, with one failure policy.

For each partition's batch of records:

1. **Decode** every record with the stage's `decode`. Any exception while decoding makes the
   record unreadable: it becomes a dead letter carrying its error, and the others go on.
2. **Apply** the readable records together, in one database transaction (`stage.apply`).
3. If that fails, ask whether the database is the trouble (`db.is_outage`, or a fresh
   connection that cannot answer `SELECT 1`). On an **outage** nothing is blamed on the records:
   the loop waits with backoff and reads the batch again from its first offset; it never exits
   and never dead-letters. On **any other exception** the batch is applied again record by
   record, each in its own transaction, and only a record that still fails alone (while the
   database answers) becomes a dead letter, with headers naming the error's class and message
   and the record's original topic, partition and offset.
4. **Commit**: the committer sends the dead letters and commits the offsets, only then; a
   committer that fails is asked to recover (reading resumes from what the group committed). A
   committer that finds the group's committed offset already past the batch's first record (a
   previous owner of the partition committed it after this consumer read its position) raises
   `PositionMoved`: nothing is published, and reading resumes from the committed offset.

A stage that can decide several partitions' batches together (`PollStage`, passed as
`ConsumerRunner(poll_stage=...)`) has a poll of several partitions applied in **one** database
transaction instead of one per partition; each partition is still committed on its own (step 4).
If that transaction fails, the partitions are applied one by one as above (an outage: every
partition is read again, nothing blamed).

Applying must be idempotent, since a batch is applied again after an outage or a failed commit
(each stage's docstring says how it is). Nothing but cancellation leaves `run`: a broker that
does not answer, a commit refused after a rebalance, a bug in a stage, all are logged and retried,
so that no record, however hostile, stops a service. docs/guarantees.md states the policy with
the test of each clause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import db, kafka, metrics
from sosa.infra.dead_letters import DeadLetters, Unreadable
from sosa.infra.stable_offsets import committed_stable

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord  # aiokafka ships no type information
T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
R_contra = TypeVar("R_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class Decoded(Generic[T]):
    """A record and what its stage read from it."""

    record: Record
    item: T


class Stage(Protocol[T, R_co]):
    """What one consumer does with its records; the runner does everything else."""

    @property
    def name(self) -> str:
        """The service, as its dead letters name it (`sosa_consumer`) and its metrics label it."""
        ...

    def decode(self, record: Record) -> T:
        """What `record` holds; any exception makes the record a dead letter."""
        ...

    async def apply(self, session: AsyncSession, batch: Sequence[Decoded[T]]) -> Sequence[R_co]:
        """Change state for `batch` in `session`'s open transaction (committed by the runner);
        what it returns goes to the committer. Must be idempotent."""
        ...


class PollStage(Stage[T, R_co], Protocol):
    """A stage that applies the batches of several partitions in one transaction."""

    async def apply_poll(
        self, session: AsyncSession, batches: Mapping[TopicPartition, Sequence[Decoded[T]]]
    ) -> Mapping[TopicPartition, Sequence[R_co]]:
        """`apply` for each partition's batch, all in `session`'s one open transaction: the
        results of each partition's batch. Must be idempotent."""
        ...


class Committer(Protocol[R_contra]):
    """Makes a batch's progress durable: dead letters first, then the offsets."""

    async def commit(
        self,
        partition: TopicPartition,
        records: Sequence[Record],
        results: Sequence[R_contra],
        letters: Sequence[Unreadable],
    ) -> None: ...

    async def recover(self, partition: TopicPartition) -> None:
        """After `commit` raised: set the consumer's position so that what was not committed
        is read again."""
        ...


@dataclass(frozen=True, slots=True)
class Applied(Generic[R]):
    """What applying one batch gave: the stage's results and the records that failed."""

    results: list[R] = field(default_factory=list)
    letters: list[Unreadable] = field(default_factory=list)


class PositionMoved(Exception):  # noqa: N818 (a condition, not an error of the batch)
    """The group's committed offset is past the batch's first record: the committer published
    nothing and has moved the consumer to the committed offset."""


class DatabaseOutage(Exception):  # noqa: N818 (a condition, not an error of the batch)
    """Applying stopped because the database cannot be used now; nothing is blamed."""


Batches: TypeAlias = dict[TopicPartition, list[Record]]
Poll: TypeAlias = Callable[[AIOKafkaConsumer, int], Awaitable[Batches]]
"""How the runner reads what is next: (consumer, max_records) -> records per partition."""


async def poll_once(consumer: AIOKafkaConsumer, max_records: int) -> Batches:
    """What the consumer has fetched, waiting up to half a second for something."""
    batches: Batches = await consumer.getmany(timeout_ms=500, max_records=max_records)
    return batches


class ConsumerRunner(Generic[T, R]):
    """Consumes forever with one stage and one committer (the module's docstring)."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        sessions: async_sessionmaker[AsyncSession],
        stage: Stage[T, R],
        committer: Committer[R],
        *,
        lock: asyncio.Lock | None = None,
        max_records: int | None = None,
        backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
        probe_timeout_s: float = 5.0,
        poll: Poll = poll_once,
        poll_stage: PollStage[T, R] | None = None,
    ) -> None:
        self._consumer = consumer
        self._sessions = sessions
        self.stage = stage
        self._committer = committer
        self._lock = lock or asyncio.Lock()
        """Held while a batch is handled: a rebalance listener takes it to wait for the batch."""
        self._max_records = max_records
        """The most records one poll brings; None: the consumer's own limit
        (`SOSA_KAFKA_MAX_POLL_RECORDS`)."""
        self._backoff = _Backoff(backoff_s, max_backoff_s)
        self._probe_timeout_s = probe_timeout_s
        self._poll = poll
        self._poll_stage = poll_stage
        """When set, a poll of several partitions is applied in one transaction with it."""
        self.handled = 0
        """Records whose batch was committed (read by tests and benchmarks)."""

    async def run(self) -> None:
        max_records = self._max_records or kafka.max_poll_records(self._consumer)
        while True:
            try:
                batches = await self._poll(self._consumer, max_records)
            except Exception:
                log.exception("reading from Kafka failed; will retry", extra=self._where())
                await self._backoff.wait()
                continue
            if self._poll_stage is not None and len(batches) > 1:
                async with self._lock:
                    assigned = self._consumer.assignment()
                    await self.handle_poll({p: r for p, r in batches.items() if p in assigned})
                continue
            for partition, records in batches.items():
                async with self._lock:
                    if partition in self._consumer.assignment():
                        await self.handle(partition, records)

    async def handle(self, partition: TopicPartition, records: Sequence[Record]) -> None:
        """Apply and commit one partition's batch; never raises but for cancellation."""
        try:
            with metrics.BATCH_SECONDS.labels(self.stage.name).time():
                applied = await self.apply(records)
        except Exception as exc:  # DatabaseOutage; anything else would be a bug of the runner's
            await self._read_again({partition: records}, exc)
            return
        await self._commit(partition, records, applied)

    async def handle_poll(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        """Apply the batches of several partitions in one transaction (`poll_stage`), then
        commit each partition's on its own; never raises but for cancellation. Should that
        transaction fail, each partition's batch is handled alone (`handle`), unless the
        database is the trouble: then every batch is read again."""
        if self._poll_stage is None or len(batches) < 2:
            for partition, records in batches.items():
                await self.handle(partition, records)
            return
        decoded = {p: self._decode(records) for p, records in batches.items()}
        readable = {p: items for p, (items, _) in decoded.items() if items}
        try:
            with metrics.BATCH_SECONDS.labels(self.stage.name).time():
                results = await self._poll_in_transaction(self._poll_stage, readable)
        except Exception as exc:
            try:
                await self._raise_if_outage(exc)
            except DatabaseOutage as outage:
                await self._read_again(batches, outage)
                return
            log.warning(
                "the poll's batches could not be applied at once; applying each alone",
                exc_info=exc,
                extra=self._where(),
            )
            for partition, records in batches.items():
                await self.handle(partition, records)
            return
        metrics.BATCH_SIZE.labels(self.stage.name, "applied_together").observe(
            sum(len(items) for items in readable.values())
        )
        for partition, records in batches.items():
            applied = Applied(list(results.get(partition, ())), decoded[partition][1])
            await self._commit(partition, records, applied)

    async def _poll_in_transaction(
        self, stage: PollStage[T, R], batches: Mapping[TopicPartition, Sequence[Decoded[T]]]
    ) -> Mapping[TopicPartition, Sequence[R]]:
        if not batches:
            return {}
        async with self._sessions() as session, session.begin():
            return await stage.apply_poll(session, batches)

    async def _read_again(
        self, batches: Mapping[TopicPartition, Sequence[Record]], exc: Exception
    ) -> None:
        """After applying failed as a whole (DatabaseOutage; anything else would be a bug of
        the runner's): read each batch again from its first record, after a backoff."""
        for partition, records in batches.items():
            log.warning(
                "the batch could not be applied; it will be read again",
                exc_info=None if isinstance(exc, DatabaseOutage) else exc,
                extra={**self._where(partition), "backoff_s": self._backoff.current},
            )
            self._consumer.seek(partition, records[0].offset)
        await self._backoff.wait()

    async def _commit(
        self, partition: TopicPartition, records: Sequence[Record], applied: Applied[R]
    ) -> None:
        try:
            await self._committer.commit(partition, records, applied.results, applied.letters)
        except PositionMoved:
            log.info("the batch was committed by the partition's previous owner; reading on")
            return
        except Exception:
            log.exception("committing the batch failed; reading again from the committed offset")
            await self._recover(partition)
            return
        self._backoff.reset()
        self.handled += len(records)

    async def apply(self, records: Sequence[Record]) -> Applied[R]:
        """Decode and apply `records` (steps 1 to 3 of the module's docstring); raises
        DatabaseOutage, with nothing dead-lettered, when the database is the trouble."""
        readable, letters = self._decode(records)
        if not readable:
            return Applied(letters=letters)
        try:
            results = await self._in_transaction(readable)
            metrics.BATCH_SIZE.labels(self.stage.name, "applied_together").observe(len(readable))
            return Applied(results, letters)
        except Exception as exc:
            await self._raise_if_outage(exc)
            log.warning(
                "the batch could not be applied at once; applying it record by record",
                exc_info=exc,
                extra=self._where(),
            )
        results = []
        for decoded in readable:
            try:
                results.extend(await self._in_transaction([decoded]))
            except Exception as exc:
                await self._raise_if_outage(exc)
                letters.append(Unreadable(decoded.record, exc))
        letters.sort(key=lambda letter: letter.record.offset)
        return Applied(results, letters)

    def _decode(self, records: Sequence[Record]) -> tuple[list[Decoded[T]], list[Unreadable]]:
        """Step 1: what each record holds, and the records that cannot be read."""
        letters: list[Unreadable] = []
        readable: list[Decoded[T]] = []
        for record in records:
            try:
                readable.append(Decoded(record, self.stage.decode(record)))
            except Exception as exc:  # whatever a hostile record makes decoding raise
                letters.append(Unreadable(record, exc))
        return readable, letters

    async def _in_transaction(self, batch: Sequence[Decoded[T]]) -> list[R]:
        async with self._sessions() as session, session.begin():
            return list(await self.stage.apply(session, batch))

    async def _raise_if_outage(self, exc: Exception) -> None:
        """Raise DatabaseOutage when `exc` came from the database rather than the work: an
        outage by its own account, or one the error did not name (a server shutting down, a
        database gone) that a fresh `SELECT 1` uncovers."""
        if db.is_outage(exc) or not await self._database_answers():
            raise DatabaseOutage(str(exc)) from exc

    async def _database_answers(self) -> bool:
        """A fresh session answers `SELECT 1` in time (`db.answers`)."""
        try:
            async with asyncio.timeout(self._probe_timeout_s), self._sessions() as session:
                return await db.answers(session)
        except Exception:  # no connection to be had, or none in time
            return False

    async def _recover(self, partition: TopicPartition) -> None:
        while True:
            try:
                await self._committer.recover(partition)
                return
            except Exception:
                log.exception("recovering the partition failed; will retry", extra=self._where())
                await self._backoff.wait()

    def _where(self, partition: TopicPartition | None = None) -> dict[str, object]:
        where: dict[str, object] = {"consumer": self.stage.name}
        if partition is not None:
            where["partition"] = f"{partition.topic}-{partition.partition}"
        return where


class OffsetCommitter(Generic[R]):
    """For a consumer whose outputs are its database rows: its dead letters go to the
    dead-letter topic (acks=all, retried until sent), then the group's offsets are committed;
    `after_commit` is told the results (a service wakes its sender, say)."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        dead_letters: DeadLetters,
        *,
        after_commit: Callable[[Sequence[R]], None] | None = None,
    ) -> None:
        self._consumer = consumer
        self._dead_letters = dead_letters
        self._after_commit = after_commit

    async def commit(
        self,
        partition: TopicPartition,
        records: Sequence[Record],
        results: Sequence[R],
        letters: Sequence[Unreadable],
    ) -> None:
        await self._dead_letters.send(letters)
        await self._consumer.commit({partition: records[-1].offset + 1})
        if self._after_commit is not None:
            self._after_commit(results)

    async def recover(self, partition: TopicPartition) -> None:
        await seek_to_committed(self._consumer, partition)


async def seek_to_committed(consumer: AIOKafkaConsumer, partition: TopicPartition) -> None:
    """Read `partition` again from the offset its group committed (from the start if none),
    read as a stable offset fetch (`sosa.infra.stable_offsets`: a just-settled transaction's
    offsets included); a partition no longer assigned is left alone: its new owner reads it
    from there."""
    if partition not in consumer.assignment():
        return
    committed = await committed_stable(consumer, partition)
    with contextlib.suppress(Exception):  # revoked meanwhile
        if committed is None:
            await consumer.seek_to_beginning(partition)
        else:
            consumer.seek(partition, committed)


class _Backoff:
    """Waits that double from `start_s` up to `max_s`, back to `start_s` after a success."""

    def __init__(self, start_s: float, max_s: float) -> None:
        self._start_s = start_s
        self._max_s = max_s
        self.current = start_s

    async def wait(self) -> None:
        await asyncio.sleep(self.current)
        self.current = min(self.current * 2, self._max_s)

    def reset(self) -> None:
        self.current = self._start_s
