"""A supplier's work order (15 CFR 700.14): its accepted rated orders, sequenced by `sosa.rules`.

This is the one place intake maps its rows to the rules' scheduling vocabulary and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.outcomes import Finding
from sosa.contracts.states import RATED_PATHS, RequestState
from sosa.intake import tables
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


async def load_work_order(session: AsyncSession, supplier_id: str) -> WorkOrder:
    """The supplier's accepted orders on a DPAS path, in the order to work them."""
    rows = (
        await session.execute(
            select(
                _views.c.request_id,
                _views.c.path,
                _views.c.rating,
                _views.c.rating_level,
                _views.c.required_delivery_date,
                _views.c.received_at,
                _views.c.rated_at,
                _views.c.details["contract_number"].as_string().label("contract_number"),
            )
            .where(_views.c.supplier == supplier_id)
            .where(_views.c.state == RequestState.ACCEPTED)
            .where(_views.c.path.in_([str(p) for p in RATED_PATHS]))
        )
    ).all()
    # sequenced off the event loop: a large supplier has thousands of accepted orders
    return await anyio.to_thread.run_sync(plan_work, supplier_id, [_accepted(r) for r in rows])


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


def plan_work(supplier_id: str, orders: Sequence[AcceptedOrder]) -> WorkOrder:
    """Sequence the orders with `sosa.rules.work_order` and explain the result (pure)."""
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
            for position, scheduled in enumerate(plan.orders, start=1)
        ],
        findings=[
            Finding(
                rule_id=str(f.rule_id), citation=f.citation, reason=f.reason, blocking=f.blocking
            )
            for f in plan.findings
        ],
        ruleset_version=plan.ruleset_version,
    )
