"""The response clock: timers kept with each request's state, and the worker that fires them.

A due timer becomes a `ClockTick` command on `sosa.requests.v1`, keyed by the request, whose id is
derived from (request, timer, due time). Several routers may notice the same timer; they then
send the same command and the inbox keeps one, so a reminder is never emitted twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa import rules
from sosa.contracts import commands, envelope, topics
from sosa.contracts.outcomes import DecisionRecord
from sosa.infra.clock import Clock
from sosa.infra.db import is_postgres
from sosa.infra.settings import CommonSettings
from sosa.router import tables
from sosa.router.batch_state import BatchState

log = logging.getLogger(__name__)
_TICK_NAMESPACE = uuid.UUID("3b5e8f0e-94a4-4a59-8a51-1d0f54c3c7a2")
OVERDUE_AFTER = timedelta(seconds=1)
"""The deadline is the last second to answer in; the request is overdue one second later."""


def reschedule(
    state: BatchState,
    before: rules.RequestFacts | None,
    after: rules.RequestFacts,
    record: DecisionRecord,
) -> None:
    """Keep the request's timers in step with its clock: none unless it awaits an answer."""
    awaiting = after.status is rules.RequestStatus.ROUTED and after.deadline is not None
    clock_moved = (
        before is None or before.deadline != after.deadline or before.status != after.status
    )
    if awaiting and not clock_moved:
        return
    if not awaiting or after.deadline is None:
        state.set_timers(after.request_id, [])
        return
    due = [("reminder", r) for r in record.reminders if r < after.deadline]
    early = record.early_escalation_at
    if early is not None and early < after.deadline:
        due.append(("escalation", early))  # a posture's margin (sosa.rules.posture)
    due.append(("deadline", after.deadline + OVERDUE_AFTER))
    state.set_timers(after.request_id, due)


def tick_for(request_id: str, kind: str, due_at: datetime, *, now: datetime) -> commands.ClockTick:
    key = f"{request_id}/{kind}/{due_at.isoformat()}"
    return commands.ClockTick(
        command_id=str(uuid.uuid5(_TICK_NAMESPACE, key)),
        request_id=request_id,
        received_at=now,
        timer="reminder"
        if kind == "reminder"
        else "escalation"
        if kind == "escalation"
        else "deadline",
        due_at=due_at,
    )


class TimerWorker:
    """Turns due timers into tick commands, every `interval_s`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        settings: CommonSettings,
        clock: Clock,
        *,
        source: str,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._settings = settings
        self._clock = clock
        self._source = source
        self._interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                await self.emit_due()
            except Exception:
                log.exception("timer round failed; will retry")
            await asyncio.sleep(self._interval_s)

    async def emit_due(self, limit: int = 200) -> int:
        now = self._clock.now()
        t = tables.timers
        query = (
            select(t)
            .where(t.c.emitted_at.is_(None), t.c.due_at <= now)
            .order_by(t.c.due_at)
            .limit(limit)
        )
        async with self._sessions() as session, session.begin():
            if is_postgres(session):
                query = query.with_for_update(skip_locked=True)
            due = (await session.execute(query)).all()
            if not due:
                return 0
            await asyncio.gather(*[await self._send(row, now) for row in due])
            await session.execute(
                update(t)
                .where(
                    t.c.request_id == bindparam("b_request_id"),
                    t.c.kind == bindparam("b_kind"),
                    t.c.due_at == bindparam("b_due_at"),
                )
                .values(emitted_at=now),
                [
                    {"b_request_id": row.request_id, "b_kind": row.kind, "b_due_at": row.due_at}
                    for row in due
                ],
            )
        return len(due)

    async def _send(self, row: Any, now: datetime) -> asyncio.Future[object]:
        tick = tick_for(row.request_id, row.kind, row.due_at, now=now)
        key, value, headers = envelope.to_kafka(
            envelope.wrap(
                tick,
                event_id=tick.command_id,
                event_type=tick.type,
                source=self._source,
                subject=tick.request_id,
                time=now,
            )
        )
        future: asyncio.Future[object] = await self._producer.send(
            self._settings.topic(topics.REQUESTS), value, key=key, headers=headers
        )
        return future
