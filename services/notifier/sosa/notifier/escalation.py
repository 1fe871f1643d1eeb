"""Deadline-aware escalation: a message about a response clock that has not reached its party
well before the deadline goes out through the party's other channels, and operators are told.

A delivery is due for escalation once its `escalate_at` (deadline - margin) has come, or earlier
when the channel can no longer deliver in time (set when its attempt is recorded), after at
least one attempt failed (or the channel was disabled), unless the party already got the
message another way. Escalated copies are not escalated again. A disabled party's deliveries are
paused, not escalated (`sosa.notifier.paused_parties`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra.clock import Clock
from sosa.infra.db import insert_ignoring_duplicates, is_postgres
from sosa.notifier import channels, notices, tables
from sosa.notifier.paused_parties import party_not_disabled
from sosa.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
d = tables.deliveries
_COPIED = (
    "event_id",
    "request_id",
    "party_id",
    "role",
    "fields",
    "event_type",
    "payload",
    "traceparent",
)


def _due(now: datetime) -> Any:
    other = d.alias("other")
    already_told = exists().where(
        other.c.event_id == d.c.event_id,
        other.c.party_id == d.c.party_id,
        other.c.status == "delivered",
    )
    return and_(
        d.c.escalate_at <= now,
        d.c.escalated_at.is_(None),
        d.c.escalated_from.is_(None),
        or_(d.c.status == "failed", and_(d.c.status == "pending", d.c.attempts >= 1)),
        ~already_told,
        party_not_disabled(d.c.party_id),
    )


async def escalate_due(session: AsyncSession, settings: NotifierSettings, now: datetime) -> int:
    """Escalate every delivery that is due; returns how many were escalated."""
    query = select(d).where(_due(now)).order_by(d.c.escalate_at).limit(100)
    if is_postgres(session):
        query = query.with_for_update(of=d, skip_locked=True)
    rows = (await session.execute(query)).all()
    for row in rows:
        await _escalate(session, row, settings, now)
    return len(rows)


async def _escalate(
    session: AsyncSession, row: Any, settings: NotifierSettings, now: datetime
) -> None:
    have = set(
        (await session.scalars(select(d.c.delivery_id).where(d.c.event_id == row.event_id))).all()
    )
    targets = [
        ch
        for ch in await channels.of_party(session, row.party_id)
        if ch.wants(row.event_type) and ch.delivery_id(row.event_id) not in have
    ]
    copies = [
        {
            **{name: getattr(row, name) for name in _COPIED},
            "delivery_id": ch.delivery_id(row.event_id),
            "channel": ch.kind,
            "endpoint_id": ch.channel_id if ch.kind == "webhook" else None,
            "recipient_id": ch.channel_id if ch.kind == "email" else None,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "deadline": row.deadline,
            "escalated_from": row.delivery_id,
        }
        for ch in targets
    ]
    await insert_ignoring_duplicates(session, d, copies)
    await session.execute(
        update(d).where(d.c.delivery_id == row.delivery_id).values(escalated_at=now)
    )
    await notices.notify_operators(
        session,
        settings,
        kind="delivery_escalated",
        key=row.delivery_id,
        data={
            "delivery_id": row.delivery_id,
            "message_id": row.event_id,
            "event_type": row.event_type,
            "request_id": row.request_id,
            "party_id": row.party_id,
            "role": row.role,
            "deadline": row.deadline.isoformat() if row.deadline else None,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "escalated_to": [{"channel": ch.kind, "id": ch.channel_id} for ch in targets],
        },
        now=now,
        request_id=row.request_id,
    )
    log.warning(
        "delivery escalated",
        extra={"delivery_id": row.delivery_id, "channels": len(targets)},
    )


async def run(
    sessions: async_sessionmaker[AsyncSession],
    settings: NotifierSettings,
    clock: Clock,
    on_escalated: Callable[[], None],
) -> None:
    """Look for due escalations every `maintenance_interval_s`, forever."""
    while True:
        try:
            async with sessions() as session, session.begin():
                escalated = await escalate_due(session, settings, clock.now())
            if escalated:
                on_escalated()
        except Exception:
            log.exception("escalation round failed; will retry")
        await asyncio.sleep(settings.maintenance_interval_s)
