"""What one accepted POST stores, built before any I/O, and storing many of them at once.

A `Write` holds every row of one accepted submit, command or posture change: the command, its
outbox row, the first view row and the items it names (a submit), who may see the request (a
submit), the posture set (a posture PUT), the idempotency key with the answer it will replay, and
the audit entry. `store_all` stores a batch of them in the caller's transaction, on PostgreSQL
in four statements whatever the batch's size (`sosa.infra.group_commit` gathers the batches).
This is the one accept path of intake: every POST and PUT that sends a command to the router
stores it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import (
    insert_new,
    insert_skipping_duplicates,
    is_postgres,
    unnest_arrays,
    unnest_insert,
)
from sosa.intake import audit, tables
from sosa.intake.commands.answers import CommandAccepted, PostureAccepted, SubmissionAccepted
from sosa.intake.views import rollups

AnswerT = TypeVar("AnswerT", SubmissionAccepted, CommandAccepted, PostureAccepted)
_postures = tables.postures


@dataclass(frozen=True, slots=True)
class PostureChange:
    """The `postures` row a posture PUT sets, and the posture its answer says it replaced."""

    row: dict[str, Any]
    previous: str | None
    """The posture stored for the scope when the PUT was accepted; None: never set."""


class PostureMovedError(Exception):
    """The scope's posture changed between reading it and storing the change (another PUT):
    nothing of this write was stored; read it again and build a new write."""


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
    posture: PostureChange | None = None

    @property
    def key_id(self) -> tuple[str, str] | None:
        return (self.key["party_id"], self.key["key"]) if self.key else None


async def store_all(session: AsyncSession, writes: Sequence[Write[Any]]) -> list[Write[Any]]:
    """Store `writes` in the caller's transaction, in their order; returns those stored. A write
    whose idempotency key is taken (by a committed request, or by an earlier write of the same
    batch) stores nothing: its caller replays the first answer to that key.

    On PostgreSQL that is four statements whatever the batch's size: the keys, then the
    commands, outbox rows, views, items, grants, roll-ups, pairs and summaries in one (`_ROWS`),
    then the audit
    chain's two (`audit.append_all`); on SQLite a statement per table."""
    stored = await _claim_keys(session, writes)
    if not stored:
        return []
    views = [w.view for w in stored if w.view is not None]
    items = [item for w in stored for item in w.items]
    grants = [grant for w in stored for grant in w.grants]
    if is_postgres(session):
        await session.execute(_ROWS, _rows_arrays(session, stored, views, items, grants))
    else:
        await session.execute(tables.commands.insert(), [w.command for w in stored])
        await session.execute(tables.outbox.insert(), [w.outbox for w in stored])
        if views:
            await session.execute(tables.request_views.insert(), views)
        if items:
            await session.execute(tables.request_items.insert(), items)
        await insert_skipping_duplicates(session, tables.request_access, grants)
        await rollups.count_new_views(session, views, grants, items)  # the figures' roll-ups (#24)
    await _set_postures(session, [w.posture for w in stored if w.posture is not None])
    # last: the audit head is the last lock a transaction takes, held only until the commit
    await audit.append_all(session, [w.audit for w in stored])
    return stored


_VIEW_COLUMNS = tuple(c.name for c in tables.request_views.columns if c.server_default is None)
"""The columns a submit's view row sets: those with a server default (what the read model
learns later) are left to it."""


def _rows_statement() -> Any:
    """The rows of a batch in every table but the keys and the audit log, in one round trip:
    one array per column and table (`sosa.infra.db.unnest_insert`), a text of one shape
    whatever the batch's size (parsed and planned once per connection). The roll-ups, pairs and
    summaries (#24) come last, each table after the one before it, in the order every writer
    locks them in (`rollups.keeping_ctes`)."""
    ctes = [
        f"c AS ({unnest_insert(tables.commands, prefix='c_')})",
        f"o AS ({unnest_insert(tables.outbox, prefix='o_')})",
        f"v AS ({unnest_insert(tables.request_views, _VIEW_COLUMNS, prefix='v_')})",
        f"i AS ({unnest_insert(tables.request_items, prefix='i_')})",
        f"g AS ({unnest_insert(tables.request_access, prefix='g_')} ON CONFLICT DO NOTHING)",
        *rollups.keeping_ctes(),
    ]
    # names from the tables' metadata; values bound
    return text(f"WITH {', '.join(ctes)} SELECT count(*) FROM {rollups.KEPT}")  # noqa: S608


_ROWS = _rows_statement()


def _rows_arrays(
    session: AsyncSession,
    stored: Sequence[Write[Any]],
    views: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
    grants: Sequence[dict[str, Any]],
) -> dict[str, list[Any]]:
    """The parameters of `_ROWS`: the new views counted once, with their items, for the
    roll-ups and the pairs alike."""
    dialect = session.get_bind().dialect
    return {
        **unnest_arrays(tables.commands, [w.command for w in stored], dialect, prefix="c_"),
        **unnest_arrays(tables.outbox, [w.outbox for w in stored], dialect, prefix="o_"),
        **unnest_arrays(tables.request_views, views, dialect, _VIEW_COLUMNS, prefix="v_"),
        **unnest_arrays(tables.request_items, items, dialect, prefix="i_"),
        **unnest_arrays(tables.request_access, grants, dialect, prefix="g_"),
        **rollups.keeping_arrays(rollups.new_views(views, grants, items), dialect),
    }


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
    keys = [r for r in rows if r]
    if is_postgres(session):
        arrays = unnest_arrays(tables.idempotency_keys, keys, session.get_bind().dialect)
        claimed = {tuple(row) for row in await session.execute(_CLAIM_KEYS, arrays)}
    else:
        claimed = await insert_new(session, tables.idempotency_keys, keys, ("party_id", "key"))
    return [w for w in writes if w.key_id is None or (w.key_id in claimed and first[w.key_id] is w)]


_CLAIM_KEYS = text(
    f"{unnest_insert(tables.idempotency_keys)} ON CONFLICT DO NOTHING RETURNING party_id, key"
)
"""The keys as arrays (one statement whatever their number), in the order given; returns
those taken."""


async def _set_postures(session: AsyncSession, changes: Sequence[PostureChange]) -> None:
    """Store each posture change in order, each over the posture its answer says it replaced;
    raises PostureMovedError (the transaction stores nothing) when another change came first."""
    if not changes:
        return
    scopes = sorted({c.row["scope"] for c in changes})  # one lock order for every batch
    locked = await session.execute(
        select(_postures.c.scope, _postures.c.posture)
        .where(_postures.c.scope.in_(scopes))
        .order_by(_postures.c.scope)
        .with_for_update()
    )
    current: dict[str, str | None] = {row.scope: row.posture for row in locked}
    for change in changes:
        scope = change.row["scope"]
        if current.get(scope) != change.previous:
            raise PostureMovedError(scope)
        if scope in current:
            await session.execute(
                _postures.update().where(_postures.c.scope == scope).values(**change.row)
            )
        elif not await insert_new(session, _postures, [change.row], ("scope",)):
            raise PostureMovedError(scope)  # a concurrent first PUT of this scope committed
        current[scope] = change.row["posture"]
