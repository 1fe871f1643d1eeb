"""Counts per group read from the figure roll-ups (`sosa.intake.views.rollups`) instead of every
view: a few thousand rows at a million requests, not a million.

An operator reads the scope of every request (`*`). Any other party reads its own scope, which
counts the requests it has a `request_access` row for; that is what `access.visible` shows it
when its roles allow every relation it holds (always so when parties keep their roles). A party
holding a relation its roles do not allow (a role taken away) is counted from the views, exactly.

A period (`since`, `until`, instants) reads its whole UTC days from `figure_counts_daily` and the
requests received in the partial days at either end from the views; no period reads
`figure_counts`. Every count stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.views import access
from sosa.intake.views.rollup_keys import COUNTS, EVERYONE, NO_ANSWER_AWAITED, UNDECIDED, US

_v, _totals, _daily = tables.request_views, tables.figure_counts, tables.figure_counts_daily

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


async def program_shares(
    session: AsyncSession, scope: str, limit: int | None
) -> list[figures.Concentration]:
    """Concentration by program from `figure_counts`, ranked in the database: per program its
    total, its index (the sum of squared counts over the squared total, the same as the sum of
    squared shares) and its number of suppliers, and the shares of its `limit` largest
    suppliers only (ties by name): at most 24 x `limit` rows come back, not every supplier's."""
    t = _totals.c
    per = [t.key]
    ranked = (
        select(
            t.key,
            t.subkey,
            t.requests,
            func.sum(t.requests).over(partition_by=per).label("total"),
            func.sum(t.requests * t.requests).over(partition_by=per).label("squares"),
            func.count().over(partition_by=per).label("suppliers"),
            func.row_number()
            .over(partition_by=per, order_by=(t.requests.desc(), t.subkey))
            .label("rank"),
        )
        .where(t.scope == scope, t.dimension == "program", t.requests > 0)
        .subquery()
    )
    statement = select(ranked)
    if limit is not None:
        statement = statement.where(ranked.c.rank <= limit)
    rows: dict[str, list[Any]] = {}
    for row in await session.execute(statement):
        rows.setdefault(row.key, []).append(row)
    found = []
    for key, kept in rows.items():
        total = int(kept[0].total)
        shares = {r.subkey: int(r.requests) / total for r in sorted(kept, key=lambda r: r.subkey)}
        hhi = int(kept[0].squares) / (total * total)
        found.append(
            figures.Concentration("program", key, total, shares, hhi, int(kept[0].suppliers))
        )
    return sorted(found, key=lambda c: (-c.hhi, -c.total, c.key))


async def program_gaps(session: AsyncSession, scope: str) -> list[figures.Gap]:
    """Redundancy gaps by program from `figure_counts`: only the programs with fewer than two
    suppliers that ever accepted one come back, with their requests and that supplier."""
    t = _totals.c
    accepting = t.accepted > 0
    rows = await session.execute(
        select(
            t.key,
            func.sum(t.requests),
            func.min(t.subkey).filter(accepting),
        )
        .where(t.scope == scope, t.dimension == "program", t.requests > 0)
        .group_by(t.key)
        .having(func.count().filter(accepting) < 2)
    )
    requests: dict[str, int] = {}
    suppliers: dict[str, set[str]] = {}
    for key, n, supplier in rows:
        requests[key] = int(n)
        suppliers[key] = {supplier} if supplier is not None else set()
    return figures.gaps(requests, suppliers, "program")


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
    found: dict[Pair, Counts] = {}
    for row in rows:
        counts = dict(zip(COUNTS, (int(n) for n in row[len(key) :]), strict=True))
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
