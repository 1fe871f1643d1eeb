"""The figure roll-ups kept in the transaction that changes the views (`rollup_keys` says what
they count): `figure_counts` over all time and `figure_counts_daily` per day of receipt, per
scope (`*` and each party that may see the requests), dimension and key; and the histograms of
the answer times and counter-offer delays (`histogram_keys`), `figure_histograms` and
`figure_histograms_daily`, per scope, figure, key and bucket.

Every change is an upsert that adds to the row (`INSERT ... ON CONFLICT DO UPDATE SET n = n +
excluded.n`): two intake replicas projecting different partitions at once never lose an
increment. The read model counts a view only when it moves (an outcome delivered again moves
nothing), and a submit counts its new view; the rows are written in one order (`Changes.rows`)
just before the audit entry, so the locks on the shared rows are held as briefly as the audit
head's and two transactions never take them in opposite orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres, unnest_arrays, unnest_insert
from sosa.intake import tables
from sosa.intake.views.rollup_keys import EVERYONE, Changes, Counted

_access = tables.request_access


async def parties_seeing(session: AsyncSession, request_ids: Iterable[str]) -> dict[str, set[str]]:
    """Request id -> the parties with a `request_access` row for it (each counts it once)."""
    found: dict[str, set[str]] = {}
    rows = await session.execute(
        select(_access.c.request_id, _access.c.party_id)
        .where(_access.c.request_id.in_(list(request_ids)))
        .distinct()
    )
    for request_id, party_id in rows:
        found.setdefault(request_id, set()).add(party_id)
    return found


def scopes(parties: Iterable[str]) -> set[str]:
    """The scopes a request counts in: every request's, and each of its parties'."""
    return {EVERYONE, *parties}


async def count_new_views(
    session: AsyncSession,
    views: Sequence[Mapping[str, Any]],
    grants: Sequence[Mapping[str, Any]],
) -> None:
    """Count views just inserted, in the scopes of the parties granted access with them."""
    await keep(session, new_views(views, grants))


def new_views(views: Sequence[Mapping[str, Any]], grants: Sequence[Mapping[str, Any]]) -> Changes:
    """What counting `views` adds, in the scopes of the parties granted access with them."""
    parties: dict[str, set[str]] = {}
    for grant in grants:
        parties.setdefault(grant["request_id"], set()).add(grant["party_id"])
    changes = Changes()
    for view in views:
        changes.count(Counted.of(view), scopes(parties.get(view["request_id"], ())))
    return changes


async def keep(session: AsyncSession, changes: Changes) -> None:
    """Add the changes to the roll-ups, then to the histograms (all time first, then per day;
    each in key order): every transaction takes these locks in that one order."""
    for table, rows in rows_by_table(changes):
        if not rows:
            continue
        if is_postgres(session):
            arrays = unnest_arrays(table, rows, session.get_bind().dialect)
            await session.execute(_adding_columns(table), arrays)
        else:
            await session.execute(_adding(session, table), rows)


ROLLUP_TABLES: tuple[Table, ...] = (
    tables.figure_counts,
    tables.figure_counts_daily,
    tables.figure_histograms,
    tables.figure_histograms_daily,
)
"""The roll-up and histogram tables, in the order every transaction locks their rows
(`rows_by_table`)."""


def rows_by_table(changes: Changes) -> list[tuple[Table, list[dict[str, Any]]]]:
    """The rows `changes` add to each of `ROLLUP_TABLES`, in its order."""
    total, daily = changes.rows()
    spread, spread_daily = changes.histogram_rows()
    return list(zip(ROLLUP_TABLES, (total, daily, spread, spread_daily), strict=True))


@cache
def _adding_columns(table: Table) -> Any:
    """On PostgreSQL one statement of one shape whatever the number of rows: the rows go in as
    one array per column (`unnest`), so intake builds no parameter set per row (a submit moves
    some forty roll-up rows, an outcome twice as many). `unnest` keeps the arrays' order, so the
    rows are still locked in `Changes.rows`' order. `Changes` nets the deltas per row, so no row
    comes twice (which ON CONFLICT DO UPDATE would refuse)."""
    return text(adding_sql(table))


def adding_sql(table: Table, *, prefix: str = "", where: str = "") -> str:
    """The upsert of `_adding_columns` as SQL text, its arrays named `prefix` + column (the
    parameters `sosa.infra.db.unnest_arrays(table, rows, dialect, prefix=prefix)` give): for a
    writer that sends it as one of a statement's CTEs (`where` filters the rows' SELECT)."""
    keys = ", ".join(c.name for c in table.primary_key.columns)
    adds = ", ".join(f"{n} = {table.name}.{n} + excluded.{n}" for n in _added(table))
    inserted = unnest_insert(table, prefix=prefix, where=where)
    return f"{inserted} ON CONFLICT ({keys}) DO UPDATE SET {adds}"


def _adding(session: AsyncSession, table: Table) -> Any:
    insert = (postgresql.insert if is_postgres(session) else sqlite.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + insert.excluded[name] for name in _added(table)},
    )


def _added(table: Table) -> list[str]:
    """The columns an upsert adds to: the counts of a roll-up, `n` and `total` of a histogram."""
    return [c.name for c in table.columns if not c.primary_key]
