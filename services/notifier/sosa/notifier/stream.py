"""Each party's live-stream log: what it was told, numbered 1, 2, 3 … per party.

Every writer for one party first bumps that party's row in `stream_cursors`; the row lock it
holds until commit makes the party's events become visible in `seq` order, so a reader that
asks for "after N" never skips an event that commits late (no gaps), and ids never repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import insert_ignoring_duplicates, is_postgres
from sosa.infra.membership import among
from sosa.notifier import tables
from sosa.notifier.messages import Message

s, c = tables.stream_events, tables.stream_cursors


async def append(session: AsyncSession, party_id: str, message: Message, *, now: datetime) -> None:
    """Add `message` to the party's stream once (a redelivered outcome is not added again)."""
    await append_all(session, [(party_id, message, message.payload())], now=now)


async def append_all(
    session: AsyncSession, told: Sequence[tuple[str, Message, str]], *, now: datetime
) -> None:
    """Add each (party, message, payload) to the party's stream once, in the order given, with
    a constant number of statements whatever the batch: the parties' cursors are created if
    missing and locked in party order (a second writer waits there, and two writers never take
    them in a loop), the entries already there are looked up under those locks, and every new
    entry is numbered and inserted at once."""
    if not told:
        return
    parties = sorted({party_id for party_id, _, _ in told})
    await insert_ignoring_duplicates(
        session, c, [{"party_id": party_id, "last_seq": 0} for party_id in parties]
    )
    cursors = select(c.c.party_id, c.c.last_seq).where(among(session, c.c.party_id, parties))
    if is_postgres(session):
        cursors = cursors.order_by(c.c.party_id).with_for_update()
    last = {party_id: int(seq) for party_id, seq in await session.execute(cursors)}
    ids = {message.message_id for _, message, _ in told}
    seen = {
        (party_id, event_id)
        for party_id, event_id in await session.execute(
            select(s.c.party_id, s.c.event_id).where(
                among(session, s.c.event_id, ids), among(session, s.c.party_id, parties)
            )
        )
    }
    rows: list[dict[str, Any]] = []
    bumped: set[str] = set()
    for party_id, message, payload in told:
        if (party_id, message.message_id) in seen:
            continue
        seen.add((party_id, message.message_id))
        last[party_id] += 1
        bumped.add(party_id)
        rows.append(
            {
                "party_id": party_id,
                "seq": last[party_id],
                "event_id": message.message_id,
                "request_id": message.request_id,
                "event_type": message.event_type,
                "role": message.role,
                "payload": payload,
                "created_at": now,
            }
        )
    if not rows:
        return
    await session.execute(
        update(c).where(c.c.party_id == bindparam("b_party")).values(last_seq=bindparam("b_seq")),
        [{"b_party": party_id, "b_seq": last[party_id]} for party_id in sorted(bumped)],
    )
    await session.execute(s.insert(), rows)


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
