"""Each party's live-stream log: what it was told, numbered 1, 2, 3 … per party.

Every writer for one party first bumps that party's row in `stream_cursors`; the row lock it
holds until commit makes the party's events become visible in `seq` order, so a reader that
asks for "after N" never skips an event that commits late (no gaps), and ids never repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, bindparam, func, literal, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import insert_ignoring_duplicates, is_postgres, unnest_arrays
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
    if is_postgres(session):
        await lock_cursors(session, told)
        await session.execute(APPEND, append_arrays(session, told, now=now))
        return
    parties = sorted({party_id for party_id, _, _ in told})
    await insert_ignoring_duplicates(
        session, c, [{"party_id": party_id, "last_seq": 0} for party_id in parties]
    )
    cursors = select(c.c.party_id, c.c.last_seq).where(among(session, c.c.party_id, parties))
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
        rows.append(_entry(party_id, last[party_id], message, payload, now))
    if not rows:
        return
    await session.execute(
        update(c).where(c.c.party_id == bindparam("b_party")).values(last_seq=bindparam("b_seq")),
        [{"b_party": party_id, "b_seq": last[party_id]} for party_id in sorted(bumped)],
    )
    await session.execute(s.insert(), rows)


async def lock_cursors(session: AsyncSession, told: Sequence[tuple[str, Message, str]]) -> None:
    """On PostgreSQL, the first of `append_all`'s two statements: the parties' cursors created
    if missing and locked, in party order, in one statement of one shape (`LOCK_CURSORS`, which
    a caller may also run as a CTE of a statement of its own)."""
    parties = sorted({party_id for party_id, _, _ in told})
    await session.execute(LOCK_CURSORS, {"parties": parties})


def append_arrays(
    session: AsyncSession, told: Sequence[tuple[str, Message, str]], *, now: datetime
) -> dict[str, list[Any]]:
    """The parameters of `APPEND`: each (party, message) once, in the order given, as arrays."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for party_id, message, payload in told:
        if (party_id, message.message_id) in seen:
            continue
        seen.add((party_id, message.message_id))
        rows.append(_entry(party_id, len(rows), message, payload, now))
    return unnest_arrays(s, rows, session.get_bind().dialect, prefix="s_")


def _entry(
    party_id: str, seq: int, message: Message, payload: str, now: datetime
) -> dict[str, Any]:
    """One row of `stream_events`."""
    return {
        "party_id": party_id,
        "seq": seq,
        "event_id": message.message_id,
        "request_id": message.request_id,
        "event_type": message.event_type,
        "role": message.role,
        "payload": payload,
        "created_at": now,
    }


LOCK_CURSORS = (
    postgresql.insert(c)
    .from_select(
        ["party_id", "last_seq"],
        select(func.unnest(bindparam("parties", type_=ARRAY(Text))), literal(0, BigInteger)),
    )
    .on_conflict_do_update(index_elements=[c.c.party_id], set_={"last_seq": c.c.last_seq})
    .returning(c.c.party_id)
)
"""On PostgreSQL, the cursors of the parties bound as `parties` (sorted) each inserted, or
locked by a no-op update (`ON CONFLICT DO UPDATE` locks the row as `SELECT ... FOR UPDATE`
would), in the order of the array: so two writers never take them in a loop. Strings travel as
`TEXT` and are checked against their column as the rows are written (a longer one is refused,
not cut), here and in `APPEND_CTES`."""

APPEND_CTES = (
    "told AS ("
    "SELECT u.*, row_number() OVER (PARTITION BY u.party_id ORDER BY u.seq) AS k "
    "FROM unnest(CAST(:s_party_id AS TEXT[]), CAST(:s_seq AS BIGINT[]), "
    "CAST(:s_event_id AS TEXT[]), CAST(:s_request_id AS TEXT[]), "
    "CAST(:s_event_type AS TEXT[]), CAST(:s_role AS TEXT[]), "
    "CAST(:s_payload AS TEXT[]), CAST(:s_created_at AS TIMESTAMP WITH TIME ZONE[])) "
    "AS u(party_id, seq, event_id, request_id, event_type, role, payload, created_at) "
    "WHERE (SELECT 1 FROM stream_events e "
    "WHERE e.party_id = u.party_id AND e.event_id = u.event_id LIMIT 1) IS NULL), "
    "added AS ("
    "INSERT INTO stream_events "
    "(party_id, seq, event_id, request_id, event_type, role, payload, created_at) "
    "SELECT t.party_id, c.last_seq + t.k, t.event_id, t.request_id, t.event_type, t.role, "
    "t.payload, t.created_at FROM told t JOIN stream_cursors c ON c.party_id = t.party_id "
    "ORDER BY t.seq RETURNING party_id, seq), "
    "bumped AS ("
    "UPDATE stream_cursors c SET last_seq = a.top "
    "FROM (SELECT party_id, max(seq) AS top FROM added GROUP BY party_id) a "
    "WHERE c.party_id = a.party_id RETURNING c.party_id)"
)
"""On PostgreSQL, the entries not already in their party's stream, numbered after its cursor
in the order given (the arrays `append_arrays` gives; `seq` there is only that order), inserted,
(each looked up by the unique index on (party, event): a subquery with a `LIMIT` is not turned
into a join, so the stream's table is never scanned whole, whatever the planner estimates),
and the cursors moved past them: run after `lock_cursors`, whose locks make the entries another
writer committed meanwhile visible to this statement (so an entry is never added twice) and
keep the numbers free of gaps. Data-modifying CTEs, for a statement of one shape that may do more
(`sosa.notifier.deliveries`)."""

APPEND = text(f"WITH {APPEND_CTES} SELECT count(*) FROM bumped")  # noqa: S608 - constant text
"""`APPEND_CTES` as a statement of its own."""


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
