"""What one accepted POST stores, built before any I/O, and storing many of them at once.

A `Write` holds every row of one accepted submit or command: the command, its outbox row, the
first view row and the items it names (a submit), who may see the request (a submit), the
idempotency key with the answer it will replay, and the audit entry. `store_all` stores a batch
of them in the caller's transaction with one statement per table (`sosa.infra.group_commit`
gathers the batches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import insert_ignoring_duplicates, insert_new
from sosa.intake import audit, tables
from sosa.intake.schemas import CommandAccepted, SubmissionAccepted

AnswerT = TypeVar("AnswerT", SubmissionAccepted, CommandAccepted)


@dataclass(frozen=True, slots=True, eq=False)
class Write(Generic[AnswerT]):
    """The rows of one accepted POST and the answer its caller gets once they are committed."""

    answer: AnswerT
    command: dict[str, Any]
    outbox: dict[str, Any]
    audit: audit.Entry
    view: dict[str, Any] | None = None
    grants: tuple[dict[str, Any], ...] = ()
    items: tuple[dict[str, Any], ...] = ()
    """The `request_items` rows of a submit: each distinct item, as the figures group items."""
    key: dict[str, Any] | None = None
    """The `idempotency_keys` row (the answer included), when the POST carried a key."""

    @property
    def key_id(self) -> tuple[str, str] | None:
        return (self.key["party_id"], self.key["key"]) if self.key else None


async def store_all(session: AsyncSession, writes: Sequence[Write[Any]]) -> list[Write[Any]]:
    """Store `writes` in the caller's transaction, in their order; returns those stored. A write
    whose idempotency key is taken (by a committed request, or by an earlier write of the same
    batch) stores nothing: its caller replays the first answer to that key."""
    stored = await _claim_keys(session, writes)
    if not stored:
        return []
    await session.execute(tables.commands.insert(), [w.command for w in stored])
    await session.execute(tables.outbox.insert(), [w.outbox for w in stored])
    views = [w.view for w in stored if w.view is not None]
    if views:
        await session.execute(tables.request_views.insert(), views)
    items = [item for w in stored for item in w.items]
    if items:
        await session.execute(tables.request_items.insert(), items)
    grants = [grant for w in stored for grant in w.grants]
    await insert_ignoring_duplicates(session, tables.request_access, grants)
    # last: the audit head is the last lock a transaction takes, held only until the commit
    await audit.append_all(session, [w.audit for w in stored])
    return stored


async def _claim_keys(session: AsyncSession, writes: Sequence[Write[Any]]) -> list[Write[Any]]:
    """Insert the batch's idempotency keys first thing: on PostgreSQL a key that a concurrent
    transaction holds makes this wait for it to end; it is then taken if that one committed."""
    first: dict[tuple[str, str], Write[Any]] = {}
    for write in writes:
        if write.key_id is not None:
            first.setdefault(write.key_id, write)
    if not first:
        return list(writes)
    # one lock order for every batch (by party and key), so that two never deadlock
    rows = [first[k].key for k in sorted(first)]
    claimed = await insert_new(
        session, tables.idempotency_keys, [r for r in rows if r], ("party_id", "key")
    )
    return [w for w in writes if w.key_id is None or (w.key_id in claimed and first[w.key_id] is w)]
