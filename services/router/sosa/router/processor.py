"""Effectively-once processing of `sosa.requests.v1`, on the consumer runner.

For each poll (the batches of one or more partitions): decide every new command and remember its
outputs in the inbox, in one database transaction (the runner's, `apply_poll`; should it fail,
the runner decides each partition's batch alone, and should that fail for a command, one command
at a time, dead-lettering only the command that still fails); then, for each partition, in one
Kafka transaction of that partition's own producer, publish its outputs and dead letters and
commit its consumer offsets. A command redelivered after a crash (the same record) finds its
outputs in the inbox and they are published again instead of being decided twice; read_committed
consumers never see the outputs of an aborted attempt. Another copy of a command already decided
(the relay published it twice, or two routers emitted the same clock tick) is recognised by its
id at another offset and yields nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from opentelemetry.trace import Span
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import topics
from sosa.infra import metrics
from sosa.infra.clock import Clock
from sosa.infra.consumer_runner import (
    ConsumerRunner,
    Decoded,
    PositionMoved,
    Record,
    poll_once,
    seek_to_committed,
)
from sosa.infra.dead_letters import Unreadable, dead_letter_headers
from sosa.infra.settings import CommonSettings
from sosa.infra.stable_offsets import committed_stable
from sosa.router import poll_span
from sosa.router.batch_state import BatchState
from sosa.router.incoming import Incoming, read_command
from sosa.router.linger import Linger
from sosa.router.outputs import Output
from sosa.router.producers import PartitionProducers

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, BatchState, Incoming], Awaitable[list[Output]]]
_ONE = TopicPartition("", -1)
"""The key of a lone batch in `apply_poll` (`apply`)."""
_BACKOFF_START_S = 0.2
_BACKOFF_MAX_S = 5.0
_TRANSACTION_TIMEOUT_S = 30.0
"""A batch's Kafka transaction not committed by then is given up: aiokafka waits forever for
a commit whose sender has died (as it does on a sequence gap after a broker outage)."""


class Processor:
    """The router's stage (decide) and committer (the Kafka transaction) for the runner."""

    name = "router"

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        producers: PartitionProducers,
        sessions: async_sessionmaker[AsyncSession],
        handler: Handler,
        settings: CommonSettings,
        group_id: str,
        clock: Clock,
        linger: Linger | None = None,
    ) -> None:
        self._consumer = consumer
        self._producers = producers
        self._handler = handler
        self._settings = settings
        self._group_id = group_id
        self._clock = clock
        self._republished: set[TopicPartition] = set()
        """Partitions whose batch being handled republishes a command from the inbox."""
        self.runner: ConsumerRunner[Incoming, Output] = ConsumerRunner(
            consumer,
            sessions,
            self,
            self,
            lock=producers.lock if producers is not None else None,
            poll=linger.poll if linger is not None else poll_once,
            poll_stage=self,
        )

    async def run(self) -> None:
        await self.runner.run()

    def decode(self, record: Record) -> Incoming:
        return read_command(record)

    async def apply(
        self, session: AsyncSession, batch: Sequence[Decoded[Incoming]]
    ) -> list[Output]:
        """Decide new commands and recall remembered ones: the batch's state read at once,
        decided in memory, written back at once."""
        return (await self.apply_poll(session, {_ONE: batch}))[_ONE]

    async def apply_poll(
        self,
        session: AsyncSession,
        batches: Mapping[TopicPartition, Sequence[Decoded[Incoming]]],
    ) -> dict[TopicPartition, list[Output]]:
        """`apply` for the batches of every partition of a poll at once: their state read with
        one statement per table, decided in memory partition after partition (as if each batch
        had been committed before the next: a posture set in one is in force in the next),
        written back with one statement per table and kind of change. The Kafka transactions
        stay one per partition (`commit`)."""
        every = [d.item.message for batch in batches.values() for d in batch]
        topic = next((b[0].record.topic for b in batches.values() if b), topics.REQUESTS)
        span = poll_span.start(every, topic, len(batches))
        try:
            state = await BatchState.load(
                session, [m.id for m in every], [m.subject for m in every if m.subject]
            )
            outputs: dict[TopicPartition, list[Output]] = {}
            for partition, batch in batches.items():
                outputs[partition] = found = []
                for decoded in batch:
                    found.extend(
                        await self._decide_one(session, state, decoded.record, decoded.item, span)
                    )
            await state.flush(session)
        except BaseException as exc:
            poll_span.end(span, exc)
            raise
        poll_span.end(span)
        return outputs

    async def commit(
        self,
        partition: TopicPartition,
        records: Sequence[Record],
        results: Sequence[Output],
        letters: Sequence[Unreadable],
    ) -> None:
        """Publish the outputs and the dead letters, and commit the offsets, in one Kafka
        transaction of the partition's producer."""
        outputs = [*results, *(dead_letter(letter.record, letter.error) for letter in letters)]
        deliveries: list[asyncio.Future[object]] = []
        try:
            producer = await self._producers.for_partition(partition)
            # Not `producer.transaction()`: on failure it awaits an abort that never ends when
            # the producer's sender has died. A failed transaction is left open instead; the
            # renewed producer's fencing aborts it (or finds it committed).
            async with asyncio.timeout(_TRANSACTION_TIMEOUT_S):
                await producer.begin_transaction()
                if self._producers.position_unchecked(partition) or self._republishing(partition):
                    await self._check_position(producer, partition, records)
                for output in outputs:
                    delivery = await producer.send(
                        self._settings.topic(output.topic),
                        output.value,
                        key=output.key,
                        headers=list(output.headers),
                    )
                    deliveries.append(delivery)
                await producer.send_offsets_to_transaction(
                    {partition: records[-1].offset + 1}, self._group_id
                )
                await producer.commit_transaction()
        except BaseException:
            for delivery in deliveries:  # their failures are this one: not worth a log line each
                delivery.add_done_callback(_retrieve)
            raise
        for output in outputs:
            metrics.PUBLISHED.labels("router", output.topic).inc()

    def _republishing(self, partition: TopicPartition) -> bool:
        """Whether the batch republishes a command (and forget it): republishing is right only
        when the group's committed offset has not passed the batch, which `_check_position`
        makes sure of whatever moved the consumer back (a stale position after a rebalance has
        been seen to, under heavy load, with the producer's first transaction already past)."""
        republishing = partition in self._republished
        self._republished.discard(partition)
        return republishing

    async def _check_position(
        self, producer: AIOKafkaProducer, partition: TopicPartition, records: Sequence[Record]
    ) -> None:
        """The first transaction of a partition's producer: its `begin_transaction` has fenced
        the previous owner and settled that owner's last transaction, so the group's committed
        offset, read as a stable fetch (`sosa.infra.stable_offsets`), is final now. When it is
        past the batch's first record, the previous owner published this batch (or its start)
        after this router read its position: publish nothing and read on from the committed
        offset (the batch's decisions stay in the inbox, so what is read again is republished
        from there, not decided twice)."""
        committed = await committed_stable(self._consumer, partition)
        self._producers.position_checked(partition)
        if committed is not None and committed > records[0].offset:
            await producer.abort_transaction()
            for record in records:
                if record.offset < committed:
                    _count(record, "committed_by_previous_owner")
            await seek_to_committed(self._consumer, partition)
            raise PositionMoved(f"{partition.topic}-{partition.partition} committed to {committed}")

    async def recover(self, partition: TopicPartition) -> None:
        """After a failed transaction, a new producer with the partition's transactional id
        fences the old one, and the broker settles the old transaction: committed or aborted.
        Reading then goes on from the offset the group has committed, so that a batch is read
        again (its outputs published again from the inbox) only if its transaction did not
        commit, never when the commit went through and only its answer was lost."""
        async with asyncio.timeout(_TRANSACTION_TIMEOUT_S):
            await self._producers.renew(partition)
            await seek_to_committed(self._consumer, partition)

    async def _decide_one(
        self,
        session: AsyncSession,
        state: BatchState,
        record: Record,
        incoming: Incoming,
        span: Span,
    ) -> list[Output]:
        message = incoming.message
        seen = state.seen(message.id)
        if seen is not None:
            if (seen.partition, seen.offset) == (record.partition, record.offset):
                # the same record again: our Kafka transaction did not commit; publish again
                _count(record, "republished")
                self._republished.add(TopicPartition(record.topic, record.partition))
                log.info(  # rare (after a failed commit or a move); says which, when doubled
                    "republishing a command read again at its offset",
                    extra={
                        "partition": f"{record.topic}-{record.partition}",
                        "offset": record.offset,
                        "command_id": message.id,
                        "producer_unchecked": self._producers is not None  # None in unit setups
                        and self._producers.position_unchecked(
                            TopicPartition(record.topic, record.partition)
                        ),
                    },
                )
                return seen.outputs
            if not _dead_lettered(seen.outputs):
                _count(record, "duplicate")
                return []  # another copy of a command already decided (relay retry, twin tick)
            # a replayed dead letter (remembered by an earlier version): decided afresh now
        outputs = await self._handler(session, state, incoming)
        poll_span.decided(span, message, outputs)
        _count(record, "decided")
        state.remember(
            message.id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            outputs=outputs,
            processed_at=self._clock.now(),
            replacing=seen is not None,
        )
        return outputs


def dead_letter(record: Record, error: Exception) -> Output:
    """The original record, unchanged, bound for the dead-letter topic with where it came from
    and why it failed; `sosa dlq replay` sends it back once the cause is fixed."""
    metrics.DEAD_LETTERS.labels("router", record.topic).inc()
    _count(record, "dead_lettered")
    return Output(
        topic=topics.dead_letter(topics.REQUESTS),
        key=record.key,
        value=record.value or b"",
        headers=tuple(
            dead_letter_headers(
                list(record.headers),
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                error=error,
                consumer="router",
            )
        ),
    )


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()


def _dead_lettered(outputs: list[Output]) -> bool:
    return bool(outputs) and all(o.topic == topics.dead_letter(topics.REQUESTS) for o in outputs)


def _count(record: Record, result: str) -> None:
    metrics.MESSAGES.labels("router", record.topic, result).inc()
