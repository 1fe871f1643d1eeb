"""The requests the resilience figures are computed over: those the caller may see
(`access.visible`, as the API), received in the period asked for, read from intake's views and
timeline (`resilience_figures` computes; this module only reads)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.auth import Caller
from sosa.intake import access, tables
from sosa.intake.resilience_figures import ANSWERED, Case

_v, _t = tables.request_views, tables.request_timeline


async def cases(
    session: AsyncSession, caller: Caller, *, since: datetime | None, until: datetime | None
) -> list[Case]:
    query = select(
        _v.c.request_id,
        _v.c.state,
        _v.c.path,
        _v.c.supplier,
        _v.c.rating,
        _v.c.details,
        _v.c.decision,
        _v.c.required_delivery_date,
    ).where(access.visible(caller))
    if since is not None:
        query = query.where(_v.c.received_at >= since)
    if until is not None:
        query = query.where(_v.c.received_at < until)
    rows = (await session.execute(query)).all()
    answered = await _first_answers(session, [row.request_id for row in rows])
    return [_case(row, answered.get(row.request_id)) for row in rows]


async def _first_answers(session: AsyncSession, ids: list[str]) -> dict[str, datetime]:
    if not ids:
        return {}
    found = await session.execute(
        select(_t.c.request_id, func.min(_t.c.occurred_at))
        .where(_t.c.request_id.in_(ids), _t.c.state.in_(sorted(ANSWERED)))
        .group_by(_t.c.request_id)
    )
    return dict(found.tuples().all())


def _case(row: Any, answered_at: datetime | None) -> Case:
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
        clock_started_at=_instant(decision.get("clock_started_at")),
        answered_at=answered_at,
        required_date=row.required_delivery_date,
        offered_date=date.fromisoformat(decision["offered_date"])
        if decision.get("offered_date")
        else None,
    )


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
