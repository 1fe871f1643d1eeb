"""The resilience figures computed by the database, over the requests the caller may see
(`access.visible`, as the API) received in the period asked for.

Each figure is one or two aggregate queries over columns the read model keeps on each view as
outcomes arrive (`view_changes`: the first answer, the hours to it, whether the request ever went
late or was accepted, its partner country) and over `request_items` and `answer_offers`; what
comes back is one row per group (a program, an item, a supplier...), never one per request.
`resilience_figures` defines each figure over `Case`s and folds the grouped counts the same way
(`concentrations`, `gaps`, `rate_of`), so the figures stay exact; the medians are exact too,
picked by rank with window functions (the middle one, or the mean of the middle two, as
`statistics.median`), the same SQL on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.insights import rollup_reads
from sosa.intake.insights.rollup_reads import Chosen
from sosa.intake.views.rollup_keys import EVERYONE

_v, _items, _offers = tables.request_views, tables.request_items, tables.answer_offers
_totals = tables.figure_counts

ACCEPTED = rollup_reads.ACCEPTED
RATED = and_(_v.c.rating.is_not(None), _v.c.rating != "")
"""`Case.rating` is set (concentration counts rated requests only)."""


def chosen(caller: Caller, since: datetime | None, until: datetime | None) -> Chosen:
    """The views the figures read: those the caller may see, received in the period."""
    return Chosen(caller, since, until)


async def population(session: AsyncSession, chosen: Chosen) -> int:
    """How many requests the figures look at (from the roll-ups by state)."""
    by_state = await rollup_reads.grouped(session, chosen, "state")
    return sum(counts["requests"] for counts in by_state.values())


async def concentration(
    session: AsyncSession, chosen: Chosen, dimension: str, limit: int | None = None
) -> list[figures.Concentration]:
    """The figure; with `limit`, each row keeps its `limit` largest shares (`suppliers` says how
    many it has), and by program over all time the database ranks them (`program_shares`)."""
    if dimension == "program" and (scope := await rollup_reads.whole_scope(session, chosen)):
        return await rollup_reads.program_shares(session, scope, limit)
    found = await _concentration_of(session, chosen, dimension)
    return found if limit is None else [largest_shares(c, limit) for c in found]


def largest_shares(row: figures.Concentration, limit: int) -> figures.Concentration:
    """The row with its `limit` largest shares (ties by supplier), in supplier order."""
    if len(row.shares) <= limit:
        return row
    kept = sorted(row.shares.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return replace(row, shares=dict(sorted(kept)))


async def _concentration_of(
    session: AsyncSession, chosen: Chosen, dimension: str
) -> list[figures.Concentration]:
    if dimension == "program":  # the roll-ups: rated requests per program and supplier
        pairs = await rollup_reads.paired(session, chosen, "program")
        rows: Sequence[Any] = [(p, s, c["requests"]) for (p, s), c in pairs.items()]
        return await anyio.to_thread.run_sync(_concentration, rows, "program")
    statement = (
        select(_items.c.item_key, _v.c.supplier, func.count())
        .join(_v, _v.c.request_id == _items.c.request_id)
        .where(chosen.where, RATED)
        .group_by(_items.c.item_key, _v.c.supplier)
    )
    rows = (await session.execute(statement)).all()
    return await anyio.to_thread.run_sync(_concentration, rows, dimension)


def _concentration(rows: Sequence[Any], dimension: str) -> list[figures.Concentration]:
    """Folded off the event loop: one row per key and supplier, thousands by item."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, supplier, n in rows:
        counts[key][supplier] += int(n)
    return figures.concentrations(counts, dimension)


async def redundancy_gaps(
    session: AsyncSession, chosen: Chosen, dimension: str
) -> list[figures.Gap]:
    where = chosen.where
    requests: Counter[str] = Counter()
    accepting: dict[str, set[str]] = defaultdict(set)
    if dimension == "program":  # the roll-ups: per program and supplier
        for (program, supplier), c in (
            await rollup_reads.paired(session, chosen, "program")
        ).items():
            requests[program] += c["requests"]
            if c["accepted"]:
                accepting[program].add(supplier)
        return figures.gaps(requests, accepting, dimension)
    # per item, only the items with fewer than two accepting suppliers come back
    accepting_supplier = case((ACCEPTED, _v.c.supplier))
    rows = await session.execute(
        select(
            _items.c.item_key,
            func.count(),
            func.count(distinct(accepting_supplier)),
            func.min(accepting_supplier),
        )
        .join(_v, _v.c.request_id == _items.c.request_id)
        .where(where)
        .group_by(_items.c.item_key)
        .having(func.count(distinct(accepting_supplier)) < 2)
    )
    for key, n, _distinct, supplier in rows:
        requests[key] = int(n)
        if supplier is not None:
            accepting[key].add(supplier)
    return await anyio.to_thread.run_sync(figures.gaps, requests, accepting, dimension)


_DIMENSION_OF = {
    "partner_country": "partner_country",
    "supplier": "supplier",
    "rating_level": "rating",  # folded into levels below, as `level_of` reads a rating
}


async def rates(session: AsyncSession, chosen: Chosen, group_by: str) -> list[figures.Rate]:
    """From the roll-ups: per group, the counts `Tally` folds."""
    tallies: dict[str, figures.Tally] = {}
    for key, c in (await rollup_reads.grouped(session, chosen, _DIMENSION_OF[group_by])).items():
        group = figures.level_of(key) if group_by == "rating_level" else key
        tally = figures.Tally(c["requests"], c["clocked"], c["late"], c["answered"], c["refused"])
        tallies[group] = tallies[group] + tally if group in tallies else tally
    return [figures.rate_of(group_by, key, t) for key, t in sorted(tallies.items())]


async def answer_times(session: AsyncSession, chosen: Chosen) -> list[figures.AnswerTime]:
    if await rollup_reads.whole_scope(session, chosen) == EVERYONE:
        return await _answer_times_by_index(session)
    answered = and_(chosen.where, _v.c.path.is_not(None), _v.c.answer_hours.is_not(None))
    medians = await _medians(
        session, select(_v.c.answer_hours.label("x")).where(answered), _v.c.path
    )
    return [
        figures.AnswerTime(str(path), n, median) for path, (n, median, _) in sorted(medians.items())
    ]


async def _answer_times_by_index(session: AsyncSession) -> list[figures.AnswerTime]:
    """Every request over all time (an operator's figure): per path, the answered count and
    the middle value(s) read in order from `ix_request_views_path_answer_hours` (an index-only
    count, then the middle one or two by OFFSET), not a ranking of every value. Exact."""
    paths = await session.execute(
        select(_totals.c.key).where(
            _totals.c.scope == EVERYONE,
            _totals.c.dimension == "path",
            _totals.c.answered > 0,
        )
    )
    found = []
    for (path,) in paths:
        answered = and_(_v.c.path == path, _v.c.answer_hours.is_not(None))
        n = int(await session.scalar(select(func.count()).select_from(_v).where(answered)) or 0)
        if not n:
            continue
        middle = (
            await session.execute(
                select(_v.c.answer_hours)
                .where(answered)
                .order_by(_v.c.answer_hours)
                .offset((n - 1) // 2)
                .limit(1 if n % 2 else 2)
            )
        ).scalars()
        values = [float(x) for x in middle]
        found.append(figures.AnswerTime(str(path), n, sum(values) / len(values)))
    return sorted(found, key=lambda t: t.path)


async def counter_offer_delays(
    session: AsyncSession, chosen: Chosen
) -> list[figures.CounterOfferDelay]:
    offers = (
        select(_offers.c.delay_days.label("x"))
        .join(_v, _v.c.request_id == _offers.c.request_id)
        .where(chosen.where)
    )
    found = await _medians(session, offers, _v.c.supplier)
    found.update(await _medians(session, offers, None))
    return [
        figures.CounterOfferDelay(supplier, n, _as_median(n, median), int(largest))
        for supplier, (n, median, largest) in sorted(found.items())
    ]


async def _medians(
    session: AsyncSession, values: Select[Any], by: ColumnElement[Any] | None
) -> dict[Any, tuple[int, float, float]]:
    """Per group (`by`, or all as one) of the column `x` of `values`: how many values, their
    median (the middle one by rank, or the mean of the two middle ones, as `statistics.median`
    does) and the largest. Only those few rows come back per group."""
    value = values.selected_columns.x
    group = [by] if by is not None else []
    ranked = values.add_columns(
        *(c.label("g") for c in group),
        func.row_number().over(partition_by=group or None, order_by=value).label("r"),
        func.count().over(partition_by=group or None).label("n"),
    ).subquery()
    r, n, x = ranked.c.r, ranked.c.n, ranked.c.x
    middle = or_(r == (n + 1) // 2, r == (n + 2) // 2)
    keys = [ranked.c.g] if by is not None else [literal("*").label("g")]
    rows = await session.execute(
        select(*keys, func.min(n), func.avg(x).filter(middle), func.max(x))
        .where(or_(middle, r == n))
        .group_by(*([ranked.c.g] if by is not None else []))
    )
    found: dict[Any, tuple[int, float, float]] = {}
    for row in rows:
        key, count, median, top = row[0], row[1], row[2], row[3]
        if count is not None:  # no value at all: the one row of an aggregate over nothing
            found[key] = (int(count), float(median), float(top))
    return found


def _as_median(n: int, value: float) -> float:
    """A median of whole days as `statistics.median` gives it: a whole number for an odd
    count, the mean of the two middle ones (a float) for an even count."""
    return int(value) if n % 2 else float(value)
