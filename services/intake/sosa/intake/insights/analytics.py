"""The resilience figures computed by the database, over the requests the caller may see
(`access.visible`, as the API) received in the period asked for.

Each figure is one or two aggregate queries over columns the read model keeps on each view as
outcomes arrive (`view_changes`: the first answer, the hours to it, whether the request ever went
late or was accepted, its partner country) and over `request_items` and `answer_offers`; what
comes back is one row per group (a program, an item, a supplier...), never one per request.
`resilience_figures` defines each figure over `Case`s and folds the grouped counts the same way
(`concentrations`, `gaps`, `rate_of`), so the figures stay exact. The medians are read from the
histograms the read model keeps (`histogram_reads`): the counter-offer delays exactly (a bucket
per day), the answer times as an estimate within one bucket's width (`histogram_keys`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

import anyio
from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import histogram_reads, rollup_reads
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.insights.rollup_reads import Chosen
from sosa.intake.views.histogram_keys import MS_PER_HOUR

_v, _items, _offers = tables.request_views, tables.request_items, tables.answer_offers
_totals = tables.figure_counts

Row = TypeVar("Row")
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


@dataclass(frozen=True, slots=True)
class Ranked(Generic[Row]):
    """A figure's first rows in its order, and how many it has in all."""

    total: int
    rows: list[Row]


async def concentration(
    session: AsyncSession, chosen: Chosen, dimension: str, limit: int | None = None
) -> list[figures.Concentration]:
    """The figure, every row; with `limit`, each row keeps its `limit` largest shares
    (`suppliers` says how many it has)."""
    return (await concentration_page(session, chosen, dimension, None, limit)).rows


async def concentration_page(
    session: AsyncSession,
    chosen: Chosen,
    dimension: str,
    rows: int | None,
    shares: int | None,
) -> Ranked[figures.Concentration]:
    """The first `rows` rows, each with its `shares` largest shares. Over all time, from the
    summaries (`rollup_reads.ranked_concentrations`: only the rows answered are read in full);
    over a period, counted from the roll-ups' days (by program) or the views (by item)."""
    if scope := await rollup_reads.whole_scope(session, chosen):
        total, found = await rollup_reads.ranked_concentrations(
            session, scope, dimension, rows, shares
        )
        return Ranked(total, found)
    every = await _concentration_of(session, chosen, dimension)
    kept = every[:rows]
    return Ranked(len(every), kept if shares is None else [largest_shares(c, shares) for c in kept])


async def concentration_chunks(
    session: AsyncSession,
    chosen: Chosen,
    dimension: str,
    rows: int | None,
    shares: int | None,
) -> tuple[int, AsyncIterator[list[figures.Concentration]]]:
    """How many rows the figure has, and its first `rows` a chunk at a time (the CSV export):
    over all time streamed from the summaries' server-side cursor, over a period counted
    first (`concentration_page`) and then given in chunks."""
    if scope := await rollup_reads.whole_scope(session, chosen):
        total = await rollup_reads.count_concentrated(session, scope, dimension)
        return total, rollup_reads.concentration_chunks(session, scope, dimension, rows, shares)
    page = await concentration_page(session, chosen, dimension, rows, shares)
    return page.total, _in_chunks(page.rows)


async def _in_chunks(rows: list[Row], size: int = 500) -> AsyncIterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


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
    """The figure, every row."""
    return (await gaps_page(session, chosen, dimension, None)).rows


async def gaps_page(
    session: AsyncSession, chosen: Chosen, dimension: str, rows: int | None
) -> Ranked[figures.Gap]:
    """The first `rows` gaps. Over all time from the summaries (`rollup_reads.ranked_gaps`);
    over a period counted from the roll-ups' days (by program) or the views (by item)."""
    if scope := await rollup_reads.whole_scope(session, chosen):
        total, found = await rollup_reads.ranked_gaps(session, scope, dimension, rows)
        return Ranked(total, found)
    every = await _gaps_of(session, chosen, dimension)
    return Ranked(len(every), every[:rows])


async def _gaps_of(session: AsyncSession, chosen: Chosen, dimension: str) -> list[figures.Gap]:
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
    """From the roll-ups: per group, the counts `Tally` folds (off the event loop: by supplier
    there are thousands of groups)."""
    grouped = await rollup_reads.grouped(session, chosen, _DIMENSION_OF[group_by])
    return await anyio.to_thread.run_sync(_rates, grouped, group_by)


def _rates(grouped: Mapping[str, rollup_reads.Counts], group_by: str) -> list[figures.Rate]:
    tallies: dict[str, figures.Tally] = {}
    for key, c in grouped.items():
        group = figures.level_of(key) if group_by == "rating_level" else key
        tally = figures.Tally(c["requests"], c["clocked"], c["late"], c["answered"], c["refused"])
        tallies[group] = tallies[group] + tally if group in tallies else tally
    return [figures.rate_of(group_by, key, t) for key, t in sorted(tallies.items())]


async def answer_times(session: AsyncSession, chosen: Chosen) -> list[figures.AnswerTime]:
    """Per path, from the histograms: the median an estimate within one bucket's width
    (`histogram_keys`; the method says so)."""
    middles = await histogram_reads.answer_middles(session, chosen)
    return [
        figures.AnswerTime(path, m.n, m.median / MS_PER_HOUR) for path, m in sorted(middles.items())
    ]


async def counter_offer_delays(
    session: AsyncSession, chosen: Chosen
) -> list[figures.CounterOfferDelay]:
    """Per supplier and over all, from the histograms: a bucket per day, so exact."""
    middles = await histogram_reads.offer_middles(session, chosen)
    return [
        figures.CounterOfferDelay(supplier, m.n, _as_median(m.n, m.median), int(m.largest))
        for supplier, m in sorted(middles.items())
    ]


def _as_median(n: int, value: float) -> float:
    """A median of whole days as `statistics.median` gives it: a whole number for an odd
    count, the mean of the two middle ones (a float) for an even count."""
    return int(value) if n % 2 else float(value)
