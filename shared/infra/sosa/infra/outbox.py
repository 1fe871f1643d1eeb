"""Transactional outbox: events stored with the change that caused them, published afterwards.

A service writes its change and the outbox rows in one database transaction; the relay then
publishes the rows with the idempotent producer and deletes them. If Kafka is down, rows wait;
if the relay dies between publishing and deleting, rows are published again and consumers
de-duplicate by event id. Nothing committed is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.envelope import Envelope, to_kafka
from sosa.infra import kafka
from sosa.infra.columns import UtcDateTime
from sosa.infra.db import is_postgres
from sosa.infra.settings import CommonSettings

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """The outbox table, defined in the metadata of the service that owns it."""
    return Table(
        name,
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("topic", String(200), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("time", UtcDateTime(), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("traceparent", String(64), nullable=True),
    )


def outbox_row(topic: str, envelope: Envelope) -> dict[str, Any]:
    """The values of one outbox row carrying `envelope` to `topic` (a contract topic name)."""
    return {
        "topic": topic,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time,
        "data": envelope.data,
        "traceparent": envelope.traceparent,
    }


class OutboxRelay:
    """Publishes outbox rows in order of insertion, batch by batch, woken by each commit."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        producer: AIOKafkaProducer,
        settings: CommonSettings,
        *,
        lock_id: int,
        batch_size: int = 500,
        idle_poll_s: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._producer = producer
        self._client_id = str(getattr(producer.client, "_client_id", "sosa-outbox-relay"))
        self._producer_spoiled = False
        self._renewing = asyncio.Lock()
        self._settings = settings
        self._lock_id = lock_id
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self.published = 0

    @property
    def producer(self) -> AIOKafkaProducer:
        """The producer in use now (a failed send replaces it): readiness checks, shutdown."""
        return self._producer

    async def send_and_wait(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        """Send one record to `topic` (its real name) with the relay's producer and wait for the
        acknowledgement: the service's other sends (its dead letters) share the producer and its
        renewal after a failed send."""
        await self._send_guarded(
            lambda producer: producer.send_and_wait(topic, value, key=key, headers=headers)
        )

    def wake(self) -> None:
        """Tell the relay that a transaction with outbox rows has just committed."""
        self._wake.set()

    async def run(self) -> None:
        """Publish forever; on a Kafka or database error, back off and try again."""
        backoff = 0.2
        while True:
            try:
                # a batch short of full took every row committed before it; a commit since
                # has set the wake, so the wait below returns at once
                while await self.publish_batch() >= self._batch_size:
                    pass
                backoff = 0.2
            except Exception:
                log.exception("outbox relay failed; will retry", extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._idle_poll_s)
            self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish up to one batch of pending rows; returns how many were published. The rows
        are deleted in the transaction that read them, which commits only once every one was
        acknowledged: should the sends fail, the rows stay for the next attempt. On PostgreSQL
        the relay's lock, the oldest rows and their deletion are one statement (`_taking`)."""
        rows: Sequence[Any]
        async with self._sessions() as session, session.begin():
            if is_postgres(session):
                taken = await session.execute(
                    self._taking, {"lock_id": self._lock_id, "batch": self._batch_size}
                )
                rows = sorted(taken.all(), key=lambda row: int(row.id))
                if rows:
                    await self._send(rows)
            else:
                rows = (
                    await session.execute(
                        select(self._table).order_by(self._table.c.id).limit(self._batch_size)
                    )
                ).all()
                if rows:
                    await self._send(rows)
                    await session.execute(
                        delete(self._table).where(self._table.c.id.in_([r.id for r in rows]))
                    )
        self.published += len(rows)
        return len(rows)

    @cached_property
    def _taking(self) -> Any:
        """One relay at a time per database, so that rows of one request keep their order:
        the transaction-scoped advisory lock, taken once (an uncorrelated subquery, evaluated
        before any row), then the oldest `batch` rows deleted and returned (none when another
        relay holds the lock)."""
        table = self._table
        held = select(
            func.pg_try_advisory_xact_lock(bindparam("lock_id", type_=BigInteger), type_=Boolean)
        ).scalar_subquery()
        oldest = select(table.c.id).order_by(table.c.id).limit(bindparam("batch"))
        return delete(table).where(held, table.c.id.in_(oldest)).returning(*table.c)

    async def _send(self, rows: Sequence[Any]) -> None:
        await self._send_guarded(lambda producer: self._send_with(producer, rows))

    async def _send_guarded(self, send: Callable[[AIOKafkaProducer], Awaitable[object]]) -> None:
        async with self._renewing:  # the relay and a consumer's dead letters may both renew
            if self._producer_spoiled:
                await self._renew_producer()
        producer = self._producer
        try:
            await send(producer)
        except Exception:
            # a batch that failed (expired while the broker was away) can leave a gap in the
            # idempotent producer's sequence numbers; aiokafka's sender then stops, and every
            # later send fails with OutOfOrderSequenceNumber: the next attempt uses a new one
            # (unless another send has replaced it already)
            if producer is self._producer:
                self._producer_spoiled = True
            raise

    async def _renew_producer(self) -> None:
        """A new producer (new producer id, sequences from 0); if it cannot start, the next
        attempt tries again."""
        await kafka.close_quietly(self._producer)
        self._producer = kafka.producer(self._settings, client_id=self._client_id)
        await self._producer.start()
        self._producer_spoiled = False
        log.info("outbox relay renewed its producer")

    async def _send_with(self, producer: AIOKafkaProducer, rows: Sequence[Any]) -> None:
        pending = []
        for row in rows:
            key, value, headers = to_kafka(
                Envelope(
                    id=row.event_id,
                    type=row.event_type,
                    source=row.source,
                    subject=row.subject,
                    time=row.time,
                    data=row.data,
                    traceparent=row.traceparent,
                )
            )
            pending.append(
                await producer.send(
                    self._settings.topic(row.topic), value, key=key, headers=headers
                )
            )
        await asyncio.gather(*pending)
