"""The router's deadline gauges, from its own state, every few seconds: requests due within 24
hours (`routed`, awaiting the supplier), requests `overdue`, and timers due but not yet fired."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.states import RequestState
from sosa.infra import metrics
from sosa.infra.clock import Clock
from sosa.router import tables

log = logging.getLogger(__name__)
SOON = timedelta(hours=24)


async def update(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    now = clock.now()
    r, t = tables.requests, tables.timers
    count = select(func.count()).select_from
    async with sessions() as session:
        due_soon = await session.scalar(
            count(r).where(r.c.state == RequestState.ROUTED.value, r.c.deadline < now + SOON)
        )
        overdue = await session.scalar(count(r).where(r.c.state == RequestState.OVERDUE.value))
        timers_due = await session.scalar(
            count(t).where(t.c.emitted_at.is_(None), t.c.due_at <= now)
        )
    metrics.DUE_SOON.set(due_soon or 0)
    metrics.OVERDUE.set(overdue or 0)
    metrics.OVERDUE_TIMERS.set(timers_due or 0)


async def run(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, *, interval_s: float = 5.0
) -> None:
    while True:
        try:
            await update(sessions, clock)
        except Exception as exc:  # the database away: the next round tries again
            log.warning("deadline gauges not updated: %r", exc)
        await asyncio.sleep(interval_s)
