"""A supplier's work order (15 CFR 700.14): its accepted rated orders, sequenced by `sosa.rules`,
a page at a time.

This is the one place intake maps its rows to the rules' scheduling vocabulary and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Final

import anyio
from sqlalchemy import Date, Integer, literal, literal_column, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.outcomes import Finding
from sosa.contracts.states import RATED_PATHS, RequestState
from sosa.infra.columns import UtcDateTime
from sosa.intake import tables
from sosa.intake.views.cursor import OrderPosition, decode_order_cursor, encode_order_cursor
from sosa.intake.views.links import request_link
from sosa.intake.views.models import WorkOrder, WorkOrderEntry
from sosa.rules import ScheduledOrder, parse_rating, work_order

_views = tables.request_views


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedOrder:
    """What the work order needs of one accepted order."""

    request_id: str
    path: str
    rating: str | None
    rating_level: str | None
    required_delivery_date: date | None
    received_at: datetime
    rated_as_of: datetime
    contract_number: str | None


UNDATED = date.max
"""Where an order without a usable date goes: after every dated order of its level."""


DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
PRECEDENCE: Final = literal_column(
    "CASE request_views.rating_level WHEN 'DX' THEN 0 WHEN 'DO' THEN 1 ELSE 2 END", Integer
)
"""`schedule_key`'s first term as the index holds it: DX (rank 2) first, then DO, then unrated
(`parse_rating` gives the level that `rating_level` stores; no level: unrated)."""
DUE: Final = literal_column("COALESCE(request_views.required_delivery_date, '9999-12-31')", Date)
"""The required date, an undated order last in its level (`UNDATED`)."""
RATED_AS_OF: Final = literal_column(
    "COALESCE(request_views.rated_at, request_views.received_at)", UtcDateTime()
)
"""Receipt as 15 CFR 700.14(c)(1) counts it (`AcceptedOrder.rated_as_of`)."""
ACCEPTED_RATED: Final = text(
    f"request_views.state = '{RequestState.ACCEPTED}' AND request_views.path IN "
    f"({', '.join(repr(str(p)) for p in sorted(RATED_PATHS))})"
)
"""The orders of a work order, written as the partial index `ix_request_views_work_order`
states them (literals, not parameters, so that the planner can use it)."""


async def load_work_order(
    session: AsyncSession,
    supplier_id: str,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> WorkOrder:
    """One page of the supplier's accepted orders on a DPAS path, in the order to work them.
    The index `ix_request_views_work_order` holds them in `sosa.rules.schedule_key`'s order, so
    a page reads its own `limit` entries from where the last one ended (`cursor`), whatever the
    number of orders; `plan_work` then sequences and explains the page with the rules. Raises
    InvalidCursorError."""
    after = decode_order_cursor(cursor, supplier_id) if cursor is not None else None
    statement = select(
        _views.c.request_id,
        _views.c.path,
        _views.c.rating,
        _views.c.rating_level,
        _views.c.required_delivery_date,
        _views.c.received_at,
        _views.c.rated_at,
        _views.c.details["contract_number"].as_string().label("contract_number"),
        PRECEDENCE.label("precedence"),
        DUE.label("due"),
        RATED_AS_OF.label("as_of"),
    ).where(_views.c.supplier == supplier_id, ACCEPTED_RATED)
    if after is not None:
        statement = statement.where(
            tuple_(PRECEDENCE, DUE, RATED_AS_OF, _views.c.request_id)
            > tuple_(
                literal(after.precedence, Integer),
                literal(after.due, Date),
                literal(after.rated_as_of, UtcDateTime()),
                literal(after.request_id),
            )
        )
    rows = (
        await session.execute(
            statement.order_by(PRECEDENCE, DUE, RATED_AS_OF, _views.c.request_id).limit(limit + 1)
        )
    ).all()
    page = rows[:limit]
    first = after.position + 1 if after is not None else 1
    plan = await anyio.to_thread.run_sync(
        plan_work, supplier_id, [_accepted(r) for r in page], first
    )
    if len(rows) > limit:
        last = page[-1]
        plan.next_cursor = encode_order_cursor(
            OrderPosition(
                precedence=int(last.precedence),
                due=last.due,
                rated_as_of=last.as_of,
                request_id=last.request_id,
                position=first + len(page) - 1,
            ),
            supplier_id,
        )
    plan.limit = limit
    return plan


def _accepted(row: Any) -> AcceptedOrder:
    return AcceptedOrder(
        request_id=row.request_id,
        path=row.path,
        rating=row.rating,
        rating_level=row.rating_level,
        required_delivery_date=row.required_delivery_date,
        received_at=row.received_at,
        # an order rated before this column existed counts from its receipt
        rated_as_of=row.rated_at or row.received_at,
        contract_number=row.contract_number,
    )


def plan_work(supplier_id: str, orders: Sequence[AcceptedOrder], first: int = 1) -> WorkOrder:
    """Sequence the orders with `sosa.rules.work_order` and explain the result (pure); the
    first is at place `first` of the whole work order (a later page's)."""
    plan = work_order(
        ScheduledOrder(
            order_id=order.request_id,
            rating=parse_rating(order.rating) if order.rating else None,
            required_delivery_date=order.required_delivery_date or UNDATED,
            received_at=order.rated_as_of,
        )
        for order in orders
    )
    by_id = {order.request_id: order for order in orders}
    return WorkOrder(
        supplier_id=supplier_id,
        orders=[
            WorkOrderEntry(
                position=position,
                **asdict(by_id[scheduled.order_id]),
                links={"self": request_link(scheduled.order_id)},
            )
            for position, scheduled in enumerate(plan.orders, start=first)
        ],
        findings=[
            Finding(
                rule_id=str(f.rule_id), citation=f.citation, reason=f.reason, blocking=f.blocking
            )
            for f in plan.findings
        ],
        ruleset_version=plan.ruleset_version,
    )
