"""The audit log: an append-only, hash-chained record of every command, decision and credential
change, with its actor and time (15 CFR 700.91: kept at least three years).

Each row's `hash` is SHA-256 over the canonical JSON of the row (seq, at, actor, kind, request,
details) and the previous row's hash, so changing or deleting a row breaks every link after it.
One head row holds the last sequence and hash (appends lock it, so the chain has one order; a
group commit appends all its rows under one lock, `append_all`) and
the sequence and hash of the last row pruned, so that pruning old rows leaves a chain that still
verifies from its new start.

Pruning cannot rewrite history unseen. Only rows older than the retention period (15 CFR 700.91:
three years) may go, and before any row is deleted, a checkpoint naming the last row removed is
published to `sosa.audit-checkpoints.v1`, a topic kept forever that only intake may write. `verify`
checks the head's record of what was pruned against the last checkpoint published: someone with
access to the database alone who deletes rows and records them as pruned is named by it.

`python -m sosa.intake.audit verify` checks the chain (exit 1 at the first broken link);
`python -m sosa.intake.audit prune` removes rows older than `SOSA_AUDIT_RETENTION_DAYS`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.audit import AuditCheckpoint
from sosa.infra import db
from sosa.intake import tables

_log = tables.audit_log
_head = tables.audit_head


def row_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    request_id: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "kind": kind,
            "request_id": request_id,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One row to append: who did what, when, to which request."""

    at: datetime
    actor: str
    kind: str
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def append(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    kind: str,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one row in the caller's transaction (which must commit it with the change itself)."""
    await append_all(session, [Entry(at, actor, kind, request_id, details or {})])


async def append_all(session: AsyncSession, entries: Sequence[Entry]) -> None:
    """Add `entries` in this order, in the caller's transaction, with one update of the head:
    a group commit of many requests locks the head once, not once per request. Call it last in
    the transaction, so that the head is held only until the commit.

    On PostgreSQL that is two statements: the head locked and moved past the new rows in one
    (`UPDATE ... RETURNING` the sequence it moved to and the hash it still holds, the previous
    row's), then the rows, computed from it, inserted as arrays together with the head's new
    hash. Elsewhere (SQLite) the head is read, the rows inserted and the head updated."""
    if not entries:
        return
    if db.is_postgres(session):
        moved = (await session.execute(_MOVE_HEAD, {"n": len(entries)})).one()
        rows = chained(entries, seq=moved.last_seq - len(entries), prev=moved.last_hash)
        arrays = db.unnest_arrays(_log, rows, session.get_bind().dialect)
        await session.execute(_APPEND_ROWS, {**arrays, "head_hash": rows[-1]["hash"]})
        return
    head = (await session.execute(select(_head).where(_head.c.id == 1).with_for_update())).one()
    rows = chained(entries, seq=head.last_seq, prev=head.last_hash)
    await session.execute(_log.insert(), rows)
    await session.execute(
        update(_head)
        .where(_head.c.id == 1)
        .values(last_seq=rows[-1]["seq"], last_hash=rows[-1]["hash"])
    )


def chained(entries: Sequence[Entry], *, seq: int, prev: str) -> list[dict[str, Any]]:
    """The `audit_log` rows of `entries`, numbered after `seq`, the first linked to `prev` (the
    hash of row `seq`), each next one to the one before."""
    rows = []
    for entry in entries:
        seq += 1
        values: dict[str, Any] = {
            "seq": seq,
            "at": entry.at,
            "actor": entry.actor,
            "kind": entry.kind,
            "request_id": entry.request_id,
            "details": entry.details,
            "prev_hash": prev,
        }
        prev = row_hash(**values)
        rows.append({**values, "hash": prev})
    return rows


_MOVE_HEAD = text(
    "UPDATE audit_head SET last_seq = last_seq + :n WHERE id = 1 RETURNING last_seq, last_hash"
)
"""Locks the head (until the commit: one chain order) and moves it past `n` rows; returns the
sequence it moved to and the hash it holds still, that of the row before the new ones."""

_APPEND_ROWS = text(
    f"WITH appended AS ({db.unnest_insert(_log)}) "  # noqa: S608 - names from metadata
    "UPDATE audit_head SET last_hash = :head_hash WHERE id = 1"
)
"""The new rows (arrays, `sosa.infra.db.unnest_insert`) and the head's hash, the last row's."""


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    rows: int
    detail: str
    broken_at: int | None = None


async def verify(
    session: AsyncSession, *, checkpoint: AuditCheckpoint | None, batch: int = 5000
) -> Verdict:
    """Check what the head says was pruned against `checkpoint`, the last prune published
    outside the database (None: none ever was), then walk the chain from the last pruned row to
    the head; say where it first breaks."""
    head = (await session.execute(select(_head).where(_head.c.id == 1))).one()
    pruned = _pruned_as_published(head.pruned_through_seq, head.pruned_hash, checkpoint)
    if pruned is not None:
        return pruned
    expected_seq, prev = head.pruned_through_seq + 1, head.pruned_hash
    count = 0
    while True:
        rows = (
            await session.execute(
                select(_log).where(_log.c.seq >= expected_seq).order_by(_log.c.seq).limit(batch)
            )
        ).all()
        for row in rows:
            if row.seq != expected_seq:
                return Verdict(False, count, f"row {expected_seq} is missing", expected_seq)
            if row.prev_hash != prev:
                return Verdict(
                    False, count, f"row {row.seq} does not follow its predecessor", row.seq
                )
            recomputed = row_hash(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                kind=row.kind,
                request_id=row.request_id,
                details=row.details,
                prev_hash=row.prev_hash,
            )
            if recomputed != row.hash:
                return Verdict(False, count, f"row {row.seq} was changed", row.seq)
            prev, expected_seq, count = row.hash, row.seq + 1, count + 1
        if len(rows) < batch:
            break
    if expected_seq - 1 != head.last_seq or prev != head.last_hash:
        return Verdict(
            False,
            count,
            f"rows after {expected_seq - 1} up to {head.last_seq} are missing",
            expected_seq,
        )
    return Verdict(True, count, f"{count} rows verified; head {head.last_seq} {head.last_hash}")


def _pruned_as_published(
    seq: int, hash_: str, checkpoint: AuditCheckpoint | None
) -> Verdict | None:
    """A broken verdict when the head's record of the last row pruned is not the last prune
    published; None when they agree."""
    if checkpoint is None:
        if seq == 0:
            return None
        return Verdict(
            False,
            0,
            f"rows 1 to {seq} are recorded as pruned, but no prune was ever published: "
            "they were deleted outside `prune`",
            1,
        )
    if (seq, hash_) == (checkpoint.pruned_through_seq, checkpoint.pruned_hash):
        return None
    if seq < checkpoint.pruned_through_seq:
        detail = (
            f"a prune through row {checkpoint.pruned_through_seq} was published, but the "
            f"database records one through row {seq}: that prune did not finish (run `prune` "
            "again), or the head was rewritten"
        )
    else:
        detail = (
            f"rows up to {seq} are recorded as pruned, but the last prune published "
            f"({checkpoint.published_at.isoformat()}) went through row "
            f"{checkpoint.pruned_through_seq}: rows {checkpoint.pruned_through_seq + 1} to {seq} "
            "were deleted outside `prune`"
        )
    return Verdict(False, 0, detail, min(seq, checkpoint.pruned_through_seq) + 1)


Publish = Callable[[AuditCheckpoint], Awaitable[None]]
"""Sends a checkpoint and waits until it is stored (acks=all) or raises."""


async def prune(
    session: AsyncSession,
    *,
    before: datetime,
    now: datetime,
    retention: timedelta,
    publish: Publish,
) -> int:
    """Remove the oldest rows, all older than `before`, keeping the chain verifiable: the
    checkpoint is published first, then the rows deleted in the caller's transaction (should
    that fail, `verify` says the prune did not finish, and `prune` run again completes it).
    Raises ValueError when `before` is within the retention period."""
    if before > now - retention:
        raise ValueError(
            f"rows younger than {retention.days} days are kept: the cutoff may be at most "
            f"{(now - retention).isoformat()}, not {before.isoformat()}"
        )
    head = (await session.execute(select(_head).where(_head.c.id == 1).with_for_update())).one()
    first_young = (
        await session.execute(
            select(_log.c.seq).where(_log.c.at >= before).order_by(_log.c.seq).limit(1)
        )
    ).scalar_one_or_none()
    last = (
        await session.execute(
            select(_log.c.seq, _log.c.hash, _log.c.at)
            .where(_log.c.seq < (first_young if first_young is not None else head.last_seq + 1))
            .order_by(_log.c.seq.desc())
            .limit(1)
        )
    ).one_or_none()
    if last is None:
        return 0
    await publish(
        AuditCheckpoint(
            event_id=str(uuid.uuid4()),
            pruned_through_seq=last.seq,
            pruned_hash=last.hash,
            pruned_through_at=_aware(last.at),
            cutoff=before,
            retention_days=retention.days,
            published_at=now,
        )
    )
    removed = await session.execute(delete(_log).where(_log.c.seq <= last.seq))
    await session.execute(
        update(_head)
        .where(_head.c.id == 1)
        .values(pruned_through_seq=last.seq, pruned_hash=last.hash)
    )
    return int(getattr(removed, "rowcount", 0) or 0)


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive times; they were stored in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def _main(command: str) -> int:
    from sosa.infra.migrations import upgrade_to_head
    from sosa.intake import audit_checkpoints
    from sosa.intake.settings import IntakeSettings

    settings = IntakeSettings()
    engine = db.create_engine(settings.intake_database_url)
    sessions: async_sessionmaker[AsyncSession] = db.sessionmaker(engine)
    try:
        await upgrade_to_head(engine, "sosa.intake:migrations")
        if command == "verify":
            try:
                checkpoint = await audit_checkpoints.latest(settings)
            except audit_checkpoints.UnreadableCheckpointError as exc:
                sys.stdout.write(f"audit log BROKEN: the checkpoints cannot be trusted: {exc}\n")
                return 1
            async with sessions() as session, session.begin():
                verdict = await verify(session, checkpoint=checkpoint)
            sys.stdout.write(f"audit log {'OK' if verdict.ok else 'BROKEN'}: {verdict.detail}\n")
            return 0 if verdict.ok else 1
        retention = timedelta(days=settings.audit_retention_days)
        now = datetime.now(UTC)
        async with (
            audit_checkpoints.publisher(settings) as publish,
            sessions() as session,
            session.begin(),
        ):
            removed = await prune(
                session, before=now - retention, now=now, retention=retention, publish=publish
            )
        sys.stdout.write(
            f"pruned {removed} audit rows older than {(now - retention).isoformat()}\n"
        )
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"verify", "prune"}:
        sys.stderr.write("usage: python -m sosa.intake.audit verify|prune\n")
        return 2
    return asyncio.run(_main(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
