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
going from c to c + 1 adds 2c + 1 to the squares) without reading the other pairs: on SQLite from
the pairs read just before (one writer at a time).

On PostgreSQL every roll-up table, the pairs and the summaries move in one statement of
data-modifying CTEs (`keeping_ctes`), its text the same whatever the number of rows: the read
model sends it alone (`keep`), a group commit as part of its rows' statement
(`sosa.intake.commands.writes`), so a submit's pairs cost no statement of their own (#25).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Final

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres, unnest_arrays, unnest_insert
from sosa.infra.membership import among_named
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
    rows = await session.execute(_seeing(is_postgres(session)), {"ids": list(request_ids)})
    for request_id, party_id in rows:
        found.setdefault(request_id, set()).add(party_id)
    return found


@cache
def _seeing(postgres: bool) -> Any:
    """`parties_seeing`'s statement, one text whatever the number of requests (`among_named`)."""
    return (
        select(_access.c.request_id, _access.c.party_id)
        .where(among_named(_access.c.request_id, "ids", postgres=postgres))
        .distinct()
    )


def scopes(parties: Iterable[str]) -> set[str]:
    """The scopes a request counts in: every request's, and each of its parties'."""
    return {EVERYONE, *parties}


async def items_of(session: AsyncSession, request_ids: Iterable[str]) -> dict[str, list[str]]:
    """Request id -> the items it names, as the figures group them (`request_items`)."""
    found: dict[str, list[str]] = {}
    rows = await session.execute(_items_named(is_postgres(session)), {"ids": list(request_ids)})
    for request_id, item in rows:
        found.setdefault(request_id, []).append(item)
    return found


@cache
def _items_named(postgres: bool) -> Any:
    """`items_of`'s statement, one text whatever the number of requests (`among_named`)."""
    return select(_items.c.request_id, _items.c.item_key).where(
        among_named(_items.c.request_id, "ids", postgres=postgres)
    )


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
    each in key order), then to the pairs and their summaries: every transaction takes these
    locks in that one order. On PostgreSQL that is one statement (`KEEPING_CTES`)."""
    if is_postgres(session):
        arrays = keeping_arrays(changes, session.get_bind().dialect)
        if any(arrays.values()):
            await session.execute(_KEEP, arrays)
        return
    for table, rows in rows_by_table(changes):
        if rows:
            await session.execute(_adding(session, table), rows)
    pairs = changes.pair_rows()
    if pairs:
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


def adding_sql(table: Table, *, prefix: str = "", where: str = "") -> str:
    """On PostgreSQL, the upsert that adds rows to a roll-up table, as SQL text of one shape
    whatever the number of rows: its arrays named `prefix` + column (the parameters
    `sosa.infra.db.unnest_arrays(table, rows, dialect, prefix=prefix)` give), for one of a
    statement's CTEs (`where` filters the rows' SELECT)."""
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


def keeping_ctes(*, after: str = "") -> list[str]:
    """On PostgreSQL, the CTEs that add a `Changes` to every roll-up table (`ROLLUP_TABLES`,
    then the pairs and their summaries) within one statement, whatever the number of rows: each
    table's rows as one array per column (`keeping_arrays` gives them), each upsert one text of
    one shape (parsed and planned once per connection), `unnest` keeping the rows' order.

    The tables keep the lock order of every writer: each CTE after the first waits for the one
    before with a condition on it (`(SELECT count(*) FROM r0) >= 0`, evaluated once, before its
    first row); `after` is such a condition for the first (a caller's CTE to be done first).
    `Changes` nets the deltas per row, so no row comes twice (which ON CONFLICT DO UPDATE
    would refuse). The pairs' upsert (`figure_pairs`) returns each pair's new counts; the old
    ones are the new less the delta, and each summary (`figure_summaries`) moves by
    `rollup_keys.summary_delta` summed over its pairs (sign(n) is 1 for a count above 0: counts
    are never negative), written in key order after the pairs. The last CTE is `KEPT`."""
    ctes = []
    for n, table in enumerate(ROLLUP_TABLES):
        upsert = adding_sql(table, prefix=f"r{n}_", where=after)
        ctes.append(f"r{n} AS ({upsert} RETURNING 1)")
        after = f"(SELECT count(*) FROM r{n}) >= 0"  # noqa: S608 - a CTE's name
    pairs, summaries = tables.figure_pairs, tables.figure_summaries
    names = [c.name for c in pairs.columns]
    columns = ", ".join(names)
    arrays = ", ".join(f"CAST(:{_PAIRS}{n} AS {_array_type(pairs.c[n])})" for n in names)
    pair_adds = ", ".join(f"{n} = p.{n} + excluded.{n}" for n in PAIR_COUNTS)
    summary_adds = ", ".join(f"{n} = s.{n} + excluded.{n}" for n in SUMMARY_COUNTS)
    keys = "scope, dimension, key, supplier"
    # names from the tables' metadata; values bound
    return [
        *ctes,
        f"pd ({columns}) AS (SELECT * FROM unnest({arrays}) WHERE {after})",  # noqa: S608
        f"pn AS (INSERT INTO {pairs.name} AS p ({columns}) SELECT * FROM pd "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET {pair_adds} "
        f"RETURNING {keys}, {', '.join(PAIR_COUNTS)})",
        f"{KEPT} AS (INSERT INTO {summaries.name} AS s (scope, dimension, key, "  # noqa: S608
        f"{', '.join(SUMMARY_COUNTS)}) "
        "SELECT pn.scope, pn.dimension, pn.key, sum(pd.requests), sum(pd.rated), "
        "sum(pn.rated * pn.rated - (pn.rated - pd.rated) * (pn.rated - pd.rated)), "
        "sum(sign(pn.rated) - sign(pn.rated - pd.rated)), "
        "sum(sign(pn.accepted) - sign(pn.accepted - pd.accepted)) "
        f"FROM pn JOIN pd USING ({keys}) GROUP BY pn.scope, pn.dimension, pn.key "
        "ORDER BY pn.scope, pn.dimension, pn.key "
        f"ON CONFLICT (scope, dimension, key) DO UPDATE SET {summary_adds} RETURNING 1)",
    ]


KEPT: Final = "ps"
"""The last of `keeping_ctes`: the summaries' upsert."""
_PAIRS: Final = "p_"
"""The prefix of the pairs' arrays in `keeping_ctes`."""


def keeping_arrays(changes: Changes, dialect: Dialect) -> dict[str, list[Any]]:
    """The parameters of `keeping_ctes`: one list per table and column, each table's rows in the
    order they are locked in (`Changes.rows`, `Changes.histogram_rows`, `Changes.pair_rows`)."""
    arrays = {
        name: values
        for n, (table, rows) in enumerate(rows_by_table(changes))
        for name, values in unnest_arrays(table, rows, dialect, prefix=f"r{n}_").items()
    }
    arrays.update(unnest_arrays(tables.figure_pairs, changes.pair_rows(), dialect, prefix=_PAIRS))
    return arrays


_KEEP = text(f"WITH {', '.join(keeping_ctes())} SELECT count(*) FROM {KEPT}")  # noqa: S608
"""`keep`'s one statement on PostgreSQL."""
