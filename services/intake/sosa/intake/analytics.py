"""The requests the resilience figures are computed over: those the caller may see
(`access.visible`, as the API), received in the period asked for, each with the steps of its
history the figures read (answers, overdue), from intake's views and timeline.
`resilience_figures` computes; this module only reads: two queries whatever the population."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.intake import access, tables
from sosa.intake.resilience_figures import READ_STATES, Case, Step, with_history

_v, _t = tables.request_views, tables.request_timeline


async def cases(
    session: AsyncSession, caller: Caller, *, since: datetime | None, until: datetime | None
) -> list[Case]:
    chosen = _chosen(caller, since, until)
    views = await session.execute(
        select(
            _v.c.request_id,
            _v.c.state,
            _v.c.path,
            _v.c.supplier,
            _v.c.rating,
            _v.c.details,
            _v.c.decision,
        ).where(chosen)
    )
    history = await session.execute(
        select(_t.c.request_id, _t.c.state, _t.c.occurred_at, _t.c.decision)
        .join(_v, _v.c.request_id == _t.c.request_id)
        .where(chosen, _t.c.state.in_(sorted(READ_STATES)))
        .order_by(_t.c.request_id, _t.c.sequence)
    )
    steps: dict[str, list[Step]] = defaultdict(list)
    for request_id, state, occurred_at, decision in history:
        steps[request_id].append(_step(state, occurred_at, decision or {}))
    return [with_history(_case(row), steps.get(row.request_id, [])) for row in views]


def _chosen(caller: Caller, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = [access.visible(caller)]
    if since is not None:
        conditions.append(_v.c.received_at >= since)
    if until is not None:
        conditions.append(_v.c.received_at < until)
    return and_(*conditions)


def _case(row: Any) -> Case:
    decision: dict[str, Any] = row.decision or {}
    details: dict[str, Any] = row.details or {}
    return Case(
        request_id=row.request_id,
        state=row.state,
        path=row.path,
        supplier=row.supplier,
        partner_country=decision.get("partner_country") or "US",
        rating=row.rating,
        items=tuple(str(item.get("description", "")) for item in details.get("items", []) or []),
    )


def _step(state: str, occurred_at: datetime, decision: dict[str, Any]) -> Step:
    required = [date.fromisoformat(d) for d in decision.get("required_delivery_dates") or []]
    return Step(
        state=state,
        occurred_at=occurred_at,
        clock_started_at=_instant(decision.get("clock_started_at")),
        late=bool(decision.get("late")),
        offered_date=_day(decision.get("offered_date")),
        required_date=min(required) if required else None,
    )


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
