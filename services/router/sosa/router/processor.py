"""Effectively-once processing of `sosa.requests.v1` (DESIGN.md section 7).

For each partition's batch: decide every new command and remember its outputs in the inbox, in
one database transaction; then, in one Kafka transaction of that partition's own producer,
publish the outputs and commit the consumer offsets. A command redelivered after a crash (the
same record) finds its outputs in the inbox and they are published again instead of being
decided twice; read_committed consumers never see the outputs of an aborted attempt. Another
copy of a command already decided (the relay published it twice, or two routers emitted the same
clock tick) is recognised by its id at another offset and yields nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from opentelemetry.trace import Span
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import topics
from sosa.contracts.envelope import Envelope, from_kafka
from sosa.infra import db, metrics, tracing
from sosa.infra.clock import Clock
from sosa.infra.dead_letters import dead_letter_headers
from sosa.infra.settings import CommonSettings
from sosa.router.batch_state import BatchState
from sosa.router.outputs import Output
from sosa.router.producers import PartitionProducers

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, BatchState, Envelope], Awaitable[list[Output]]]
Record: TypeAlias = ConsumerRecord  # aiokafka ships no type information
_BACKOFF_START_S = 0.2
_BACKOFF_MAX_S = 5.0
_TRANSACTION_TIMEOUT_S = 30.0
"""A batch's Kafka transaction not committed by then is given up: aiokafka waits forever for
a commit whose sender has died (as it does on a sequence gap after a broker outage)."""


class Processor:
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
    ) -> None:
        self._consumer = consumer
        self._producers = producers
        self._sessions = sessions
        self._handler = handler
        self._settings = settings
        self._group_id = group_id
        self._clock = clock
        self.processed = 0

    async def run(self) -> None:
        backoff = _BACKOFF_START_S
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                async with self._producers.lock:
                    if partition not in self._consumer.assignment():
                        continue
                    try:
                        await self.process_partition_batch(partition, records)
                        backoff = _BACKOFF_START_S
                    except db.UNAVAILABLE:
                        # the database is unavailable: nothing was decided; read the batch again
                        log.exception("database error; the batch will be read again")
                        self._consumer.seek(partition, records[0].offset)
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, _BACKOFF_MAX_S)

    async def process_partition_batch(
        self, partition: TopicPartition, records: Sequence[Record]
    ) -> None:
        with metrics.BATCH_SECONDS.labels("router").time():
            await self._process(partition, records)

    async def _process(self, partition: TopicPartition, records: Sequence[Record]) -> None:
        outputs = await self.decide(records)
        deliveries: list[asyncio.Future[object]] = []
        try:
            producer = await self._producers.for_partition(partition)
            # Not `producer.transaction()`: on failure it awaits an abort that never ends when
            # the producer's sender has died. A failed transaction is left open instead; the
            # renewed producer's fencing aborts it (or finds it committed).
            async with asyncio.timeout(_TRANSACTION_TIMEOUT_S):
                await producer.begin_transaction()
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
        except Exception:
            log.exception(
                "kafka transaction failed; reading again from the committed offset",
                extra={"partition": str(partition)},
            )
            for delivery in deliveries:  # their failures are this one: not worth a log line each
                delivery.add_done_callback(_retrieve)
            await self._resume_from_committed(partition)
            return
        self.processed += len(records)
        for output in outputs:
            metrics.PUBLISHED.labels("router", output.topic).inc()

    async def _resume_from_committed(self, partition: TopicPartition) -> None:
        """After a failed transaction, a new producer with the partition's transactional id
        fences the old one, and the broker settles the old transaction: committed or aborted.
        Reading then goes on from the offset the group has committed, so that a batch is read
        again (its outputs published again from the inbox) only if its transaction did not
        commit, never when the commit went through and only its answer was lost."""
        backoff = _BACKOFF_START_S
        while True:
            try:
                async with asyncio.timeout(_TRANSACTION_TIMEOUT_S):
                    await self._producers.renew(partition)
                    committed = await self._consumer.committed(partition)
                break
            except Exception:
                log.exception("the partition's producer could not be renewed; will retry")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
        if committed is None:
            await self._consumer.seek_to_beginning(partition)
        else:
            self._consumer.seek(partition, committed)

    async def decide(self, records: Sequence[Record]) -> list[Output]:
        """Decide new commands and recall remembered ones, all in one database transaction:
        the batch's state read at once, decided in memory, written back at once. Should that
        write fail for another reason than an outage (one command's row breaks a constraint),
        the batch is decided again one command at a time, and a command that still cannot be
        stored, while the database answers, goes to the dead-letter topic alone."""
        async with self._sessions() as session, session.begin():
            try:
                async with session.begin_nested():
                    return await self._decide_together(session, records)
            except db.UNAVAILABLE as exc:
                if db.is_outage(exc):
                    raise
                log.exception("the batch could not be stored at once; storing it one by one")
            outputs: list[Output] = []
            for record in records:
                outputs.extend(await self._decide_alone(session, record))
            return outputs

    async def _decide_together(
        self, session: AsyncSession, records: Sequence[Record]
    ) -> list[Output]:
        messages = [_read(record) for record in records]
        readable = [m for m in messages if isinstance(m, Envelope)]
        state = await BatchState.load(
            session, [m.id for m in readable], [m.subject for m in readable if m.subject]
        )
        outputs: list[Output] = []
        for record, message in zip(records, messages, strict=True):
            outputs.extend(await self._decide_one(session, state, record, message))
        await state.flush(session)
        metrics.BATCH_SIZE.labels("router", "decided_together").observe(len(records))
        return outputs

    async def _decide_alone(self, session: AsyncSession, record: Record) -> list[Output]:
        try:
            async with session.begin_nested():
                return await self._decide_together(session, [record])
        except db.UNAVAILABLE as exc:
            # a command is blamed only when the database still answers: an outage the error
            # did not name as one (a server shutting down, say) must retry the batch instead
            if db.is_outage(exc) or not await db.answers(session):
                raise
            log.exception("command could not be stored; sent to the dead-letter topic")
            return [dead_letter(record, exc)]

    async def _decide_one(
        self,
        session: AsyncSession,
        state: BatchState,
        record: Record,
        message: Envelope | ValueError,
    ) -> list[Output]:
        if isinstance(message, ValueError):
            log.error("unreadable command; sent to the dead-letter topic", exc_info=message)
            return [dead_letter(record, message)]
        seen = state.seen(message.id)
        if seen is not None:
            if (seen.partition, seen.offset) == (record.partition, record.offset):
                # the same record again: our Kafka transaction did not commit; publish again
                _count(record, "republished")
                return seen.outputs
            if not _dead_lettered(seen.outputs):
                _count(record, "duplicate")
                return []  # another copy of a command already decided (relay retry, twin tick)
            # a replayed dead letter: decided afresh now that its cause may be fixed
        savepoint = state.savepoint()
        try:
            with _decision_span(record, message):
                outputs = await self._handler(session, state, message)
        except db.UNAVAILABLE:
            raise  # the database, not the command, failed: retry the batch, never dead-letter it
        except Exception as exc:
            state.rollback_to(savepoint)
            log.exception("command could not be processed; sent to the dead-letter topic")
            outputs = [dead_letter(record, exc)]
        else:
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


def _read(record: Record) -> Envelope | ValueError:
    try:
        return from_kafka(record.value or b"", list(record.headers))
    except ValueError as exc:
        return exc


def _decision_span(record: Record, message: Envelope) -> AbstractContextManager[Span]:
    """The span of one command's decision, continuing the trace of the HTTP request that made
    it; the outcomes carry this span's context on (their `traceparent`), and the rule ids
    decided are added to it (OutcomeWriter)."""
    return tracing.continued_span(
        "router decide",
        message.traceparent,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.message.id": message.id,
            "sosa.request_id": message.subject,
            "sosa.command_type": message.type,
            "sosa.event_id": message.id,
        },
    )


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
