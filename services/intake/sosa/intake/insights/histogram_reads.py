"""The answer times and counter-offer delays read from the figure histograms
(`sosa.intake.views.histogram_keys`): per key, a few hundred buckets at most instead of every
value, in the caller's visibility and period as `rollup_reads` reads the counts.

An operator reads the scope `*`, another party its own scope, or, holding a relation its roles do
not allow, the same buckets counted from the views at the call. A period reads its whole UTC days
from `figure_histograms_daily` and its partial days at either end from the views, bucketed by the
same SQL (`histogram_keys.bucket_sql`): the buckets are the same whichever way they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from typing import Any

import anyio
from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres
from sosa.intake import tables
from sosa.intake.insights import rollup_reads
from sosa.intake.insights.rollup_reads import Chosen
from sosa.intake.views.histogram_keys import (
    ALL_SUPPLIERS,
    ANSWER_MS,
    OFFER_DAYS,
    Middle,
    answer_ms_sql,
    bucket_sql,
    median_of,
)

_v, _offers = tables.request_views, tables.answer_offers
_totals, _daily = tables.figure_histograms, tables.figure_histograms_daily

Buckets = dict[int, tuple[int, int]]
"""Bucket -> (how many values, their sum)."""
Histograms = dict[str, Buckets]
"""Key (a path, a supplier or `*`) -> its buckets."""
FromViews = Callable[[AsyncSession, ColumnElement[bool]], Coroutine[Any, Any, Histograms]]


async def answer_middles(session: AsyncSession, chosen: Chosen) -> dict[str, Middle]:
    """Per path, the count, median and largest of the answer times (ms) of the chosen requests."""
    return await _middles(session, chosen, ANSWER_MS, _answers_from_views)


async def offer_middles(session: AsyncSession, chosen: Chosen) -> dict[str, Middle]:
    """Per supplier and for `*`, the count, median and largest of the offered dates (days after
    the date required)."""
    return await _middles(session, chosen, OFFER_DAYS, _offers_from_views)


async def _middles(
    session: AsyncSession, chosen: Chosen, figure: str, from_views: FromViews
) -> dict[str, Middle]:
    scope = await rollup_reads.whole_scope(session, chosen)
    if scope is not None:
        return await _middles_in_table(session, scope, figure)
    found = await _histograms(session, chosen, figure, from_views)
    return await anyio.to_thread.run_sync(_fold, found)


def _fold(found: Histograms) -> dict[str, Middle]:
    """Folded off the event loop: a period's buckets merged from days and views."""
    middles = {}
    for key, buckets in found.items():
        middle = median_of(buckets)
        if middle is not None:
            middles[key] = middle
    return middles


async def _middles_in_table(session: AsyncSession, scope: str, figure: str) -> dict[str, Middle]:
    """Over all time, the database finds the middle buckets: per key, the running count of its
    buckets in order (the primary key's order, so no sort) gives the bucket of each middle rank
    and the last bucket; only those (at most three per key) come back, not every bucket (some
    60,000 (supplier, day) buckets at a million requests). The same as `median_of`."""
    t = _totals.c
    ranked = (
        select(
            t.key,
            t.bucket,
            t.n,
            t.total,
            cast(func.sum(t.n).over(partition_by=t.key, order_by=t.bucket), BigInteger).label(
                "upto"
            ),
            cast(func.sum(t.n).over(partition_by=t.key), BigInteger).label("count"),
            func.max(t.bucket).over(partition_by=t.key).label("top"),
        )
        .where(t.scope == scope, t.figure == figure, t.n > 0)
        .subquery()
    )
    r = ranked.c
    first, second = (r["count"] + 1) // 2, (r["count"] + 2) // 2
    rows = await session.execute(
        select(r.key, r.bucket, r.n, r.total, r.upto, r["count"], r.top).where(
            or_(and_(r.upto >= first, r.upto - r.n < second), r.bucket == r.top)
        )
    )
    return await anyio.to_thread.run_sync(_picked, rows.all())


def _picked(rows: Sequence[Any]) -> dict[str, Middle]:
    """Folded off the event loop: the middle and last buckets of each key, some 15,000 rows
    for the suppliers' offers at a million requests."""
    picked: dict[str, list[Any]] = {}
    for row in rows:
        picked.setdefault(row.key, []).append(row)
    middles = {}
    for key, kept in picked.items():
        count = int(kept[0].count)
        values = []
        for rank in ((count + 1) // 2, (count + 2) // 2):
            row = next(k for k in kept if k.upto - k.n < rank <= k.upto)
            values.append(int(row.total) / int(row.n))
        last = next(k for k in kept if k.bucket == k.top)
        middles[key] = Middle(count, sum(values) / 2, int(last.total) / int(last.n))
    return middles


async def _histograms(
    session: AsyncSession, chosen: Chosen, figure: str, from_views: FromViews
) -> Histograms:
    scope = await rollup_reads.scope_of(session, chosen.caller)
    if scope is None:
        return await from_views(session, chosen.where)
    if chosen.since is None and chosen.until is None:
        return await _from_table(session, scope, figure, None)
    first, last = rollup_reads.whole_days(chosen.since, chosen.until)
    if first is not None and last is not None and first >= last:  # no whole day in it
        return await from_views(session, chosen.where)
    found = await _from_table(session, scope, figure, (first, last))
    ends = []
    if chosen.since is not None and first is not None:
        ends.append(chosen.received(chosen.since, rollup_reads.midnight(first)))
    if chosen.until is not None and last is not None:
        ends.append(chosen.received(rollup_reads.midnight(last), chosen.until))
    for end in ends:
        for key, buckets in (await from_views(session, end)).items():
            for bucket, (n, total) in buckets.items():
                _add(found, key, bucket, n, total)
    return found


async def _from_table(
    session: AsyncSession,
    scope: str,
    figure: str,
    days: tuple[date | None, date | None] | None,
) -> Histograms:
    if days is None:
        t = _totals.c
        statement = select(t.key, t.bucket, t.n, t.total).where(
            t.scope == scope, t.figure == figure, t.n > 0
        )
    else:
        d = _daily.c
        first, last = days
        conditions = [d.scope == scope, d.figure == figure]
        if first is not None:
            conditions.append(d.day >= first)
        if last is not None:
            conditions.append(d.day < last)
        statement = (
            select(d.key, d.bucket, func.sum(d.n), func.sum(d.total))
            .where(*conditions)
            .group_by(d.key, d.bucket)
        )
    found: Histograms = {}
    for key, bucket, n, total in await session.execute(statement):
        _add(found, key, int(bucket), int(n or 0), int(total or 0))
    return found


async def _answers_from_views(session: AsyncSession, where: ColumnElement[bool]) -> Histograms:
    ms_sql = answer_ms_sql(
        "postgresql" if is_postgres(session) else "sqlite", "request_views.answer_hours"
    )
    ms = literal_column(ms_sql, BigInteger)
    bucket = literal_column(bucket_sql(ms_sql), BigInteger)
    rows = await session.execute(
        select(_v.c.path, bucket, func.count(), func.sum(ms))
        .where(where, _v.c.path.is_not(None), _v.c.answer_hours.is_not(None))
        .group_by(_v.c.path, bucket)
    )
    found: Histograms = {}
    for path, at, n, total in rows:
        _add(found, path, int(at), int(n), int(total))
    return found


async def _offers_from_views(session: AsyncSession, where: ColumnElement[bool]) -> Histograms:
    days = _offers.c.delay_days
    rows = await session.execute(
        select(_v.c.supplier, days, func.count(), func.sum(days))
        .join(_v, _v.c.request_id == _offers.c.request_id)
        .where(where)
        .group_by(_v.c.supplier, days)
    )
    found: Histograms = {}
    for supplier, bucket, n, total in rows:
        for key in (supplier, ALL_SUPPLIERS):
            _add(found, key, int(bucket), int(n), int(total))
    return found


def _add(found: Histograms, key: str, bucket: int, n: int, total: int) -> None:
    if not n:
        return  # a bucket every value has left
    buckets = found.setdefault(key, {})
    held_n, held_total = buckets.get(bucket, (0, 0))
    buckets[bucket] = (held_n + n, held_total + total)
