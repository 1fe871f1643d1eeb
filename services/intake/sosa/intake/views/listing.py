"""The request list: filters as SQL conditions, keyset pagination by (received_at, request_id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.intake import tables
from sosa.intake.views.cursor import Position, decode_cursor, encode_cursor
from sosa.intake.views.links import request_link
from sosa.intake.views.list_filters import ListFilters
from sosa.intake.views.models import RequestPage, RequestSummary

_views = tables.request_views
SUMMARY_COLUMNS = [
    *(
        _views.c[name]
        for name in RequestSummary.model_fields
        if name not in {"links", "deadline_local", "supplier_timezone"}
    ),
    _views.c.details["supplier"]["timezone"].as_string().label("supplier_timezone"),
]


def conditions(filters: ListFilters) -> list[ColumnElement[bool]]:
    """One SQL condition per given filter."""
    given: list[ColumnElement[bool]] = []
    if filters.states:
        given.append(_views.c.state.in_([str(s) for s in filters.states]))
    if filters.paths:
        given.append(_views.c.path.in_([str(p) for p in filters.paths]))
    if filters.supplier is not None:
        given.append(_views.c.supplier == filters.supplier)
    if filters.requester is not None:
        given.append(_views.c.requester == filters.requester)
    if filters.rating is not None:
        given.append(_views.c.rating == filters.rating)
    if filters.rating_level is not None:
        given.append(_views.c.rating_level == filters.rating_level)
    if filters.due_before is not None:
        given.append(_views.c.deadline < filters.due_before)
    return given


async def list_requests(
    session: AsyncSession,
    filters: ListFilters,
    *,
    limit: int,
    cursor: str | None,
    scope: ColumnElement[bool] | None = None,
) -> RequestPage:
    """One page of the requests that match (and that `scope` lets the caller see), oldest
    received first. Raises InvalidCursorError."""
    query_key = filters.key()
    statement = select(*SUMMARY_COLUMNS).where(*conditions(filters))
    if scope is not None:
        statement = statement.where(scope)
    if cursor is not None:
        after = decode_cursor(cursor, query_key)
        statement = statement.where(
            tuple_(_views.c.received_at, _views.c.request_id)
            > tuple_(after.received_at, after.request_id)
        )
    rows = (
        await session.execute(
            statement.order_by(_views.c.received_at, _views.c.request_id).limit(limit + 1)
        )
    ).all()
    page = rows[:limit]
    more = len(rows) > limit
    return RequestPage(
        items=[summary(row) for row in page],
        next_cursor=encode_cursor(
            Position(received_at=page[-1].received_at, request_id=page[-1].request_id), query_key
        )
        if more
        else None,
        limit=limit,
    )


def summary(row: Row[Any]) -> RequestSummary:
    return RequestSummary.model_validate(
        {**row._mapping, "links": {"self": request_link(row.request_id)}}
    )
