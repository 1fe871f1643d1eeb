"""Each party's live-stream log: what it was told, numbered 1, 2, 3 … per party.

Every writer for one party first bumps that party's row in `stream_cursors`; the row lock it
holds until commit makes the party's events become visible in `seq` order, so a reader that
asks for "after N" never skips an event that commits late (no gaps), and ids never repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import insert_ignoring_duplicates
from sosa.notifier import tables
from sosa.notifier.messages import Message

s, c = tables.stream_events, tables.stream_cursors


async def append(session: AsyncSession, party_id: str, message: Message, *, now: datetime) -> None:
    """Add `message` to the party's stream once (a redelivered outcome is not added again)."""
    seen = await session.scalar(
        select(func.count())
        .select_from(s)
        .where(s.c.party_id == party_id, s.c.event_id == message.message_id)
    )
    if seen:
        return
    await insert_ignoring_duplicates(session, c, [{"party_id": party_id, "last_seq": 0}])
    seq = await session.scalar(
        update(c)
        .where(c.c.party_id == party_id)
        .values(last_seq=c.c.last_seq + 1)
        .returning(c.c.last_seq)
    )
    await insert_ignoring_duplicates(
        session,
        s,
        [
            {
                "party_id": party_id,
                "seq": seq,
                "event_id": message.message_id,
                "request_id": message.request_id,
                "event_type": message.event_type,
                "role": message.role,
                "payload": message.payload(),
                "created_at": now,
            }
        ],
    )


async def after(
    session: AsyncSession, party_id: str, last_seq: int, *, limit: int = 200
) -> Sequence[Any]:
    """The party's events after `last_seq`, oldest first."""
    return (
        await session.execute(
            select(s.c.seq, s.c.event_type, s.c.payload)
            .where(s.c.party_id == party_id, s.c.seq > last_seq)
            .order_by(s.c.seq)
            .limit(limit)
        )
    ).all()


async def latest(session: AsyncSession, party_id: str) -> int:
    """The party's newest `seq` (0 when it has none)."""
    value = await session.scalar(select(c.c.last_seq).where(c.c.party_id == party_id))
    return int(value or 0)
