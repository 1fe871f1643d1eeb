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

The pairs of concentration and gaps (`figure_pairs`, per program or item and supplier) are
upserted the same way, and each pair's upsert returns its new counts, so that the summary of its
program or item (`figure_summaries`) moves by what `rollup_keys.summary_delta` says (a rated count
going from c to c + 1 adds 2c + 1 to the squares) without reading the other pairs: on PostgreSQL
both in one statement (a data-modifying WITH), on SQLite from the pairs read just before (one
writer at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres, unnest_arrays, unnest_insert
from sosa.intake import tables
from sosa.intake.views.rollup_keys import (
    EVERYONE,
    PAIR_COUNTS,
    SUMMARY_COUNTS,
    Changes,
    Counted,
    summary_delta,
)

_access, _items = tables.request_access, tables.request_items


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


async def items_of(session: AsyncSession, request_ids: Iterable[str]) -> dict[str, list[str]]:
    """Request id -> the items it names, as the figures group them (`request_items`)."""
    found: dict[str, list[str]] = {}
    rows = await session.execute(
        select(_items.c.request_id, _items.c.item_key).where(
            _items.c.request_id.in_(list(request_ids))
        )
    )
    for request_id, item in rows:
        found.setdefault(request_id, []).append(item)
    return found


async def count_new_views(
    session: AsyncSession,
    views: Sequence[Mapping[str, Any]],
    grants: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Count views just inserted, with their `request_items` rows, in the scopes of the
    parties granted access with them."""
    await keep(session, new_views(views, grants, items))


def new_views(
    views: Sequence[Mapping[str, Any]],
    grants: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]] = (),
) -> Changes:
    """What counting `views` (with their `request_items` rows) adds, in the scopes of the
    parties granted access with them."""
    parties: dict[str, set[str]] = {}
    for grant in grants:
        parties.setdefault(grant["request_id"], set()).add(grant["party_id"])
    named: dict[str, list[str]] = {}
    for item in items:
        named.setdefault(item["request_id"], []).append(item["item_key"])
    changes = Changes()
    for view in views:
        request_id = view["request_id"]
        changes.count(
            Counted.of(view, named.get(request_id, ())), scopes(parties.get(request_id, ()))
        )
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
    await keep_pairs(session, changes)


async def keep_pairs(session: AsyncSession, changes: Changes) -> None:
    """Add the changes' pairs to `figure_pairs` and move their summaries (after the roll-ups
    and histograms: every transaction takes the locks in that one order)."""
    pairs = changes.pair_rows()
    if not pairs:
        return
    if is_postgres(session):
        arrays = unnest_arrays(tables.figure_pairs, pairs, session.get_bind().dialect)
        await session.execute(_PAIRS_AND_SUMMARIES, arrays)
    else:
        await _pairs_and_summaries(session, pairs)


async def _pairs_and_summaries(session: AsyncSession, pairs: Sequence[Mapping[str, Any]]) -> None:
    """The pairs, then the summaries moved by what each pair's old and new counts say (the old
    ones read first: SQLite has one writer at a time, so they cannot move meanwhile)."""
    p = tables.figure_pairs.c
    old: dict[tuple[str, ...], tuple[int, ...]] = {}
    keys = [(r["scope"], r["dimension"], r["key"], r["supplier"]) for r in pairs]
    for start in range(0, len(keys), 200):  # SQLite's limit on bound parameters
        rows = await session.execute(
            select(p.scope, p.dimension, p.key, p.supplier, *(p[n] for n in PAIR_COUNTS)).where(
                tuple_(p.scope, p.dimension, p.key, p.supplier).in_(keys[start : start + 200])
            )
        )
        for found in rows:
            old[tuple(found[:4])] = tuple(int(n) for n in found[4:])
    summaries: dict[tuple[str, str, str], list[int]] = {}
    for key, row in zip(keys, pairs, strict=True):
        before = old.get(key, (0,) * len(PAIR_COUNTS))
        after = tuple(b + row[n] for b, n in zip(before, PAIR_COUNTS, strict=True))
        into = summaries.setdefault(key[:3], [0] * len(SUMMARY_COUNTS))
        for i, n in enumerate(summary_delta(before, after)):
            into[i] += n
    await session.execute(_adding(session, tables.figure_pairs), list(pairs))
    await session.execute(
        _adding(session, tables.figure_summaries),
        [
            {
                "scope": scope,
                "dimension": dimension,
                "key": key,
                **dict(zip(SUMMARY_COUNTS, counts, strict=True)),
            }
            for (scope, dimension, key), counts in sorted(summaries.items())
        ],
    )


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


def _array_type(column: Any) -> str:
    kind = column.type.__class__.__name__
    return {"String": "text[]", "Text": "text[]", "Date": "date[]", "BigInteger": "bigint[]"}[kind]


def _adding(session: AsyncSession, table: Table) -> Any:
    insert = (postgresql.insert if is_postgres(session) else sqlite.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + insert.excluded[name] for name in _added(table)},
    )


def _added(table: Table) -> list[str]:
    """The columns an upsert adds to: the counts of a roll-up, `n` and `total` of a histogram."""
    return [c.name for c in table.columns if not c.primary_key]


def _pairs_and_summaries_statement() -> Any:
    """On PostgreSQL, one statement: the pairs' deltas as arrays (`unnest`, in `pair_rows`'
    order) added to `figure_pairs`, whose upsert returns each pair's new counts; the old ones
    are the new less the delta, and each summary moves by `rollup_keys.summary_delta` summed
    over its pairs (sign(n) is 1 for a count above 0: counts are never negative). The summaries
    are written in key order, after the pairs, in every transaction."""
    pairs, summaries = tables.figure_pairs, tables.figure_summaries
    names = [c.name for c in pairs.columns]
    arrays = ", ".join(f"CAST(:{n} AS {_array_type(pairs.c[n])})" for n in names)
    pair_adds = ", ".join(f"{n} = p.{n} + excluded.{n}" for n in PAIR_COUNTS)
    summary_adds = ", ".join(f"{n} = s.{n} + excluded.{n}" for n in SUMMARY_COUNTS)
    keys = "scope, dimension, key, supplier"
    return text(
        f"WITH d ({', '.join(names)}) AS (SELECT * FROM unnest({arrays})), "  # noqa: S608 - names from the tables' metadata; values bound
        f"n AS (INSERT INTO {pairs.name} AS p ({', '.join(names)}) SELECT * FROM d "
        f"ON CONFLICT ({keys}) DO UPDATE SET {pair_adds} "
        f"RETURNING {keys}, {', '.join(PAIR_COUNTS)}) "
        f"INSERT INTO {summaries.name} AS s (scope, dimension, key, "
        f"{', '.join(SUMMARY_COUNTS)}) "
        "SELECT n.scope, n.dimension, n.key, sum(d.requests), sum(d.rated), "
        "sum(n.rated * n.rated - (n.rated - d.rated) * (n.rated - d.rated)), "
        "sum(sign(n.rated) - sign(n.rated - d.rated)), "
        "sum(sign(n.accepted) - sign(n.accepted - d.accepted)) "
        f"FROM n JOIN d USING ({keys}) GROUP BY n.scope, n.dimension, n.key "
        "ORDER BY n.scope, n.dimension, n.key "
        f"ON CONFLICT (scope, dimension, key) DO UPDATE SET {summary_adds}"
    )


_PAIRS_AND_SUMMARIES = _pairs_and_summaries_statement()
