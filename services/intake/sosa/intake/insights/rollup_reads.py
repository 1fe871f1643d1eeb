"""Counts per group read from the figure roll-ups (`sosa.intake.views.rollups`) instead of every
view: a few thousand rows at a million requests, not a million.

An operator reads the scope of every request (`*`). Any other party reads its own scope, which
counts the requests it has a `request_access` row for; that is what `access.visible` shows it
when its roles allow every relation it holds (always so when parties keep their roles). A party
holding a relation its roles do not allow (a role taken away) is counted from the views, exactly.

A period (`since`, `until`, instants) reads its whole UTC days from `figure_counts_daily` and the
requests received in the partial days at either end from the views; no period reads
`figure_counts`. Every count stays exact.

Concentration and redundancy gaps by program and by item over all time read `figure_summaries`
(one row per program or item: its index, suppliers and whether it is a gap) and, for the rows
answered only, their largest pairs in `figure_pairs`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import anyio
from sqlalchemy import ColumnElement, Float, and_, cast, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.infra.db import is_postgres
from sosa.intake import tables
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.views import access
from sosa.intake.views.rollup_keys import COUNTS, EVERYONE, NO_ANSWER_AWAITED, UNDECIDED, US

_v, _totals, _daily = tables.request_views, tables.figure_counts, tables.figure_counts_daily
_pairs, _summaries = tables.figure_pairs, tables.figure_summaries

ACCEPTED = or_(_v.c.ever_accepted, _v.c.state.in_(sorted(figures.ACCEPTING)))
"""The supplier accepted the request at some time (`Case.accepted`)."""
LATE = or_(_v.c.went_late, _v.c.state == figures.OVERDUE)
"""It missed its deadline (`Case.late`)."""
ANSWERED = _v.c.first_answer.is_not(None)
_FLAGS: dict[str, ColumnElement[bool]] = {
    "clocked": or_(ANSWERED, LATE),
    "late": LATE,
    "answered": ANSWERED,
    "refused": _v.c.first_answer.in_(sorted(figures.REFUSED)),
    "accepted": ACCEPTED,
    "open": _v.c.state.not_in(sorted(NO_ANSWER_AWAITED)),
    "overdue": _v.c.state == figures.OVERDUE,
}
"""What each count of `rollup_keys.tally` counts, as SQL over the views."""
KEYS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "state": (_v.c.state,),
    "path": (func.coalesce(_v.c.path, UNDECIDED),),
    "partner_country": (func.coalesce(_v.c.partner_country, US),),
    "supplier": (_v.c.supplier,),
    "requester": (_v.c.requester,),
    "rating": (func.coalesce(_v.c.rating, ""),),
    "program": (_v.c.rating, _v.c.supplier),  # the rating folded into its program below
}
"""Each dimension's key (and subkey), as SQL over the views (`rollup_keys.keys`)."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """The requests a figure reads: those the caller may see, received in the period."""

    caller: Caller
    since: datetime | None = None
    until: datetime | None = None

    @property
    def where(self) -> ColumnElement[bool]:
        """The same as an SQL condition on the views."""
        return self.received(self.since, self.until)

    def received(self, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
        conditions = [access.visible(self.caller)]
        if since is not None:
            conditions.append(_v.c.received_at >= since)
        if until is not None:
            conditions.append(_v.c.received_at < until)
        return and_(*conditions)


Counts = dict[str, int]
"""One group's counts, by the names of `rollup_keys.COUNTS`."""
Pair = tuple[str, str]
"""A roll-up's key and subkey (a program and a supplier; the subkey is empty elsewhere)."""


async def grouped(session: AsyncSession, chosen: Chosen, dimension: str) -> dict[str, Counts]:
    """Per key of `dimension`, the counts over the chosen requests."""
    return {key: counts for (key, _), counts in (await paired(session, chosen, dimension)).items()}


async def paired(session: AsyncSession, chosen: Chosen, dimension: str) -> dict[Pair, Counts]:
    """Per key and subkey of `dimension`, the counts over the chosen requests."""
    scope = await scope_of(session, chosen.caller)
    if scope is None:
        return await _from_views(session, chosen.where, dimension)
    if chosen.since is None and chosen.until is None:
        return await _from_rollups(session, scope, dimension, None)
    first, last = whole_days(chosen.since, chosen.until)
    if first is not None and last is not None and first >= last:  # no whole day in it
        return await _from_views(session, chosen.where, dimension)
    found = await _from_rollups(session, scope, dimension, (first, last))
    ends = []
    if chosen.since is not None and first is not None:
        ends.append(chosen.received(chosen.since, midnight(first)))
    if chosen.until is not None and last is not None:
        ends.append(chosen.received(midnight(last), chosen.until))
    for end in ends:
        for key, counts in (await _from_views(session, end, dimension)).items():
            _add(found, key, counts)
    return found


async def whole_scope(session: AsyncSession, chosen: Chosen) -> str | None:
    """The roll-up scope that alone counts the chosen requests (no period, and a scope that
    counts what the caller sees); None: `paired` must merge days or count from the views."""
    if chosen.since is not None or chosen.until is not None:
        return None
    return await scope_of(session, chosen.caller)


async def ranked_concentrations(
    session: AsyncSession, scope: str, dimension: str, rows: int | None, shares: int | None
) -> tuple[int, list[figures.Concentration]]:
    """Concentration by program or item over all time, from `figure_summaries`: how many rows
    the figure has, and its first `rows` (most concentrated first: the index, the sum of the
    squared counts over the squared total, equals the sum of squared shares), each with the
    shares of its `shares` largest suppliers read in order from `figure_pairs` (ties by name).
    No program's or item's pairs are read but those of the rows answered."""
    chunks = concentration_chunks(session, scope, dimension, rows, shares)
    found = [row async for chunk in chunks for row in chunk]
    return await count_concentrated(session, scope, dimension), found


async def count_concentrated(session: AsyncSession, scope: str, dimension: str) -> int:
    """How many programs or items have a rated request in the scope (concentration's rows)."""
    return await _count(session, _concentrated(scope, dimension))


async def concentration_chunks(
    session: AsyncSession,
    scope: str,
    dimension: str,
    rows: int | None,
    shares: int | None,
    size: int = 100,
) -> AsyncIterator[list[figures.Concentration]]:
    """`ranked_concentrations`' rows, `size` at a time: the summaries in the figure's order from
    a server-side cursor, and each chunk's pairs read when it is reached (the CSV export
    streams them: the first come in milliseconds, and intake never holds them all)."""
    s = _summaries.c
    hhi = cast(s.squares, Float) / (cast(s.rated, Float) * s.rated)
    statement = (
        select(s.key, s.rated, s.squares, s.suppliers)
        .where(_concentrated(scope, dimension))
        .order_by(hhi.desc(), s.rated.desc(), _in_code_point_order(session, s.key))
        .limit(rows)
        .execution_options(yield_per=size)
    )
    result = await session.stream(statement)
    async for partition in result.partitions(size):
        pairs = await _largest(session, scope, dimension, [r.key for r in partition], shares)
        yield await anyio.to_thread.run_sync(_concentrations, dimension, partition, pairs)


def _concentrations(
    dimension: str, summaries: Sequence[Any], pairs: Sequence[Any]
) -> list[figures.Concentration]:
    """One chunk's rows from its summaries and their (key, supplier, rated) pairs, built off the
    event loop: at a million requests a chunk of 100 items has thousands of pairs. `pairs` is
    a buffered result (the driver fetched every row before `execute` returned), so iterating it
    here makes its rows without any I/O."""
    found: dict[str, list[tuple[str, int]]] = {}
    for key, supplier, n in pairs:
        found.setdefault(key, []).append((supplier, int(n)))
    return [
        figures.Concentration(
            dimension,
            r.key,
            int(r.rated),
            {supplier: n / int(r.rated) for supplier, n in sorted(found.get(r.key, []))},
            int(r.squares) / (int(r.rated) * int(r.rated)),
            int(r.suppliers),
        )
        for r in summaries
    ]


async def ranked_gaps(
    session: AsyncSession, scope: str, dimension: str, rows: int | None
) -> tuple[int, list[figures.Gap]]:
    """Redundancy gaps by program or item over all time, from `figure_summaries`: how many
    programs or items have fewer than two suppliers that ever accepted one, and the first
    `rows` of them (fewest accepting suppliers, then most requests, first), with that supplier
    read from `figure_pairs` for those rows only."""
    s, p = _summaries.c, _pairs.c
    where = and_(s.scope == scope, s.dimension == dimension, s.requests > 0, s.accepting < 2)
    kept = (
        await session.execute(
            select(s.key, s.requests, s.accepting)
            .where(where)
            .order_by(s.accepting, s.requests.desc(), _in_code_point_order(session, s.key))
            .limit(rows)
        )
    ).all()
    accepting: dict[str, set[str]] = {}
    named = [r.key for r in kept if r.accepting]
    for start in range(0, len(named), 500):
        for key, supplier in await session.execute(
            select(p.key, func.min(p.supplier))
            .where(
                p.scope == scope,
                p.dimension == dimension,
                p.key.in_(named[start : start + 500]),
                p.accepted > 0,
            )
            .group_by(p.key)
        ):
            accepting[key] = {supplier}
    found = figures.gaps({r.key: int(r.requests) for r in kept}, accepting, dimension)
    return await _count(session, where), found


def _concentrated(scope: str, dimension: str) -> ColumnElement[bool]:
    s = _summaries.c
    return and_(s.scope == scope, s.dimension == dimension, s.rated > 0)


async def _count(session: AsyncSession, where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(_summaries).where(where)) or 0)


def _in_code_point_order(session: AsyncSession, column: ColumnElement[str]) -> Any:
    """Text ordered as Python orders it (the figures' ties): PostgreSQL's "C" collation;
    SQLite's BINARY already is."""
    return column.collate("C") if is_postgres(session) else column


async def _largest(
    session: AsyncSession, scope: str, dimension: str, keys: list[str], limit: int | None
) -> Sequence[Any]:
    """(key, supplier, rated) of each key's suppliers with a rated request: all of them, or the
    `limit` largest (ties by name), as the buffered result (its rows are made, one Python object
    per pair, by whoever iterates it: `_concentrations`, off the event loop). On PostgreSQL
    each key's come in order from `ix_figure_pairs_largest` (a LATERAL subquery with LIMIT):
    one index range per key, a plan that stays right once the prepared statement's generic
    plan takes over after five executions (a `key IN (...)` list of 100 took 300-500 ms a
    chunk then, at 100k requests); elsewhere ranked by a window."""
    if not keys:
        return []
    p = _pairs.c
    mine = and_(p.scope == scope, p.dimension == dimension, p.rated > 0)
    if is_postgres(session):  # `LIMIT NULL` (no limit): every pair of the key
        rows: Any = await session.execute(
            _LARGEST, {"keys": keys, "scope": scope, "dimension": dimension, "n": limit}
        )
    elif limit is None:
        rows = await session.execute(
            select(p.key, p.supplier, p.rated).where(mine, p.key.in_(keys))
        )
    else:
        ranked = (
            select(
                p.key,
                p.supplier,
                p.rated,
                func.row_number()
                .over(partition_by=p.key, order_by=(p.rated.desc(), p.supplier))
                .label("rank"),
            )
            .where(mine, p.key.in_(keys))
            .subquery()
        )
        rows = await session.execute(
            select(ranked.c.key, ranked.c.supplier, ranked.c.rated).where(ranked.c.rank <= limit)
        )
    return rows  # type: ignore[no-any-return]


_LARGEST = text(
    "SELECT k.key, p.supplier, p.rated FROM unnest(CAST(:keys AS text[])) AS k(key) "
    "CROSS JOIN LATERAL (SELECT supplier, rated FROM figure_pairs "
    "WHERE scope = :scope AND dimension = :dimension AND key = k.key AND rated > 0 "
    'ORDER BY rated DESC, supplier COLLATE "C" LIMIT :n) AS p'
)
"""Each key's `:n` largest pairs, read in order from `ix_figure_pairs_largest`."""


async def scope_of(session: AsyncSession, caller: Caller) -> str | None:
    """The roll-up scope that counts what the caller sees; None: count from the views."""
    if caller.operator:
        return EVERYONE
    a = tables.request_access
    other = await session.scalar(
        select(
            exists().where(
                a.c.party_id == caller.party_id, a.c.relation.not_in(access.relations(caller))
            )
        )
    )
    return None if other else caller.party_id


def whole_days(since: datetime | None, until: datetime | None) -> tuple[date | None, date | None]:
    """The first whole UTC day from `since` on and the day `until` falls in (the whole days
    are those from the first, up to but not including the last); None: unbounded."""
    first = None
    if since is not None:
        start = since.astimezone(UTC)
        first = start.date() + timedelta(days=0 if start.time() == time() else 1)
    last = until.astimezone(UTC).date() if until is not None else None
    return first, last


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


async def _from_rollups(
    session: AsyncSession,
    scope: str,
    dimension: str,
    days: tuple[date | None, date | None] | None,
) -> dict[Pair, Counts]:
    if days is None:
        rows = await session.execute(
            select(_totals.c.key, _totals.c.subkey, *(_totals.c[n] for n in COUNTS)).where(
                _totals.c.scope == scope, _totals.c.dimension == dimension
            )
        )
    else:
        first, last = days
        conditions = [_daily.c.scope == scope, _daily.c.dimension == dimension]
        if first is not None:
            conditions.append(_daily.c.day >= first)
        if last is not None:
            conditions.append(_daily.c.day < last)
        rows = await session.execute(
            select(_daily.c.key, _daily.c.subkey, *(func.sum(_daily.c[n]) for n in COUNTS))
            .where(*conditions)
            .group_by(_daily.c.key, _daily.c.subkey)
        )
    return await anyio.to_thread.run_sync(_rollup_counts, rows)


def _rollup_counts(rows: Iterable[Any]) -> dict[Pair, Counts]:
    """Folded off the event loop (a party's rates by supplier read thousands of rows): `rows`
    is a buffered result, whose rows are made as they are iterated, without I/O."""
    found: dict[Pair, Counts] = {}
    for key, subkey, *counts in rows:
        _add(found, (key, subkey), dict(zip(COUNTS, (int(n or 0) for n in counts), strict=True)))
    return found


async def _from_views(
    session: AsyncSession, where: ColumnElement[bool], dimension: str
) -> dict[Pair, Counts]:
    key = KEYS[dimension]
    flags = [func.count().filter(_FLAGS[name]) for name in COUNTS[1:]]
    rows = await session.execute(select(*key, func.count(), *flags).where(where).group_by(*key))
    return await anyio.to_thread.run_sync(_view_counts, rows, dimension, len(key))


def _view_counts(rows: Iterable[Any], dimension: str, width: int) -> dict[Pair, Counts]:
    """Folded off the event loop, as `_rollup_counts`."""
    found: dict[Pair, Counts] = {}
    for row in rows:
        counts = dict(zip(COUNTS, (int(n) for n in row[width:]), strict=True))
        if dimension != "program":
            _add(found, (str(row[0]), ""), counts)
        elif (program := figures.program_of(row[0])) is not None:
            _add(found, (program, str(row[1])), counts)
    return found


def _add(found: dict[Pair, Counts], key: Pair, counts: Mapping[str, int]) -> None:
    if not counts["requests"]:
        return  # a group every request has left (each count is then 0)
    into = found.setdefault(key, dict.fromkeys(COUNTS, 0))
    for name, n in counts.items():
        into[name] += n
