"""The router's gauges, from its own state, every few seconds: requests due within 24 hours
(`routed`, awaiting the supplier), requests `overdue`, timers due but not yet fired, and the
postures in force (`sosa_posture_level`, one series per scope, with the posture's highlight as
a label for dashboards and alerts; the global scope shows even when nothing was ever set)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa import rules
from sosa.contracts.states import RequestState
from sosa.infra import metrics
from sosa.infra.clock import Clock
from sosa.router import tables

log = logging.getLogger(__name__)
SOON = timedelta(hours=24)
LEVELS = {posture: level for level, posture in enumerate(rules.Posture)}


async def update(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, book: rules.PostureBook
) -> None:
    now = clock.now()
    r, t, p = tables.requests, tables.timers, tables.postures
    count = select(func.count()).select_from
    async with sessions() as session:
        due_soon = await session.scalar(
            count(r).where(r.c.state == RequestState.ROUTED.value, r.c.deadline < now + SOON)
        )
        overdue = await session.scalar(count(r).where(r.c.state == RequestState.OVERDUE.value))
        timers_due = await session.scalar(
            count(t).where(t.c.emitted_at.is_(None), t.c.due_at <= now)
        )
        postures = dict((await session.execute(select(p.c.scope, p.c.posture))).all())
    metrics.DUE_SOON.set(due_soon or 0)
    metrics.OVERDUE.set(overdue or 0)
    metrics.OVERDUE_TIMERS.set(timers_due or 0)
    set_postures(postures, book)


def set_postures(postures: dict[str, str], book: rules.PostureBook) -> None:
    """One series per scope in force; a scope's previous posture is no longer exported."""
    in_force = {rules.GLOBAL: rules.Posture.PEACETIME.value, **postures}
    metrics.POSTURE.clear()
    for scope, name in sorted(in_force.items()):
        posture = rules.Posture(name)
        highlight = book.settings[posture].highlight.value
        metrics.POSTURE.labels(scope, posture.value, highlight).set(LEVELS[posture])


async def run(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    book: rules.PostureBook,
    *,
    interval_s: float = 5.0,
) -> None:
    while True:
        try:
            await update(sessions, clock, book)
        except Exception as exc:  # the database away: the next round tries again
            log.warning("deadline gauges not updated: %r", exc)
        await asyncio.sleep(interval_s)
