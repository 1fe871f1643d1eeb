"""A supplier's work order from the real PostgreSQL: only its accepted DPAS orders, in order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake import tables
from sosa.intake.views.cursor import InvalidCursorError
from sosa.intake.views.models import WorkOrderEntry
from sosa.intake.views.work_order import MAX_LIMIT, AcceptedOrder, load_work_order, plan_work
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, submit
from tests.unit.intake.builders import T0, decision, transitioned

pytestmark = pytest.mark.db
S = RequestState
OTHER_US_FIRM = {"party_id": "other-firm", "name": "Other", "country": "US"}


async def accepted(
    sessions: Sessions,
    body: dict[str, Any],
    *,
    minutes: int,
    rating: str | None,
    due: date,
    path: RoutePath = RoutePath.DPAS,
    state: RequestState = S.ACCEPTED,
    undated: bool = False,
) -> str:
    request_id = await submit(sessions, body, now=T0 + timedelta(minutes=minutes))
    record = decision(rating=rating, required_delivery_dates=[due])
    await apply(
        sessions,
        [
            transitioned(request_id, 1, S.ROUTED, S.RECEIVED, path=path, decision=record),
            transitioned(request_id, 2, state, S.ROUTED, path=path, decision=record),
        ],
    )
    if undated:  # a view written before the date was kept (the work order puts it last)
        async with sessions() as session, session.begin():
            await session.execute(
                tables.request_views.update()
                .where(tables.request_views.c.request_id == request_id)
                .values(required_delivery_date=None)
            )
    return request_id


async def test_the_work_order_lists_accepted_rated_orders_in_700_14_order(
    sessions: Sessions,
) -> None:
    do_late = await accepted(
        sessions, DPAS_REQUEST, minutes=0, rating="DO-A3", due=date(2027, 6, 1)
    )
    do_early_2 = await accepted(
        sessions, DPAS_REQUEST, minutes=2, rating="DO-A1", due=date(2027, 3, 1)
    )
    dx = await accepted(
        sessions,
        {**DPAS_REQUEST, "rating": "DX-A3"},
        minutes=3,
        rating="DX-A3",
        due=date(2028, 1, 1),
    )
    do_early_1 = await accepted(
        sessions, DPAS_REQUEST, minutes=1, rating="DO-A3", due=date(2027, 3, 1)
    )
    # none of these belongs in the work order
    await accepted(
        sessions, DPAS_REQUEST, minutes=4, rating="DX-A1", due=date(2027, 1, 1), state=S.ROUTED
    )
    await accepted(
        sessions,
        {**DPAS_REQUEST, "supplier": OTHER_US_FIRM},
        minutes=5,
        rating="DX-A1",
        due=date(2027, 1, 1),
    )
    await accepted(
        sessions,
        DPAS_REQUEST,
        minutes=6,
        rating=None,
        due=date(2027, 1, 1),
        path=RoutePath.VOLUNTARY,
    )

    async with sessions() as session:
        plan = await load_work_order(session, "acme-valves")
    assert [o.request_id for o in plan.orders] == [dx, do_early_1, do_early_2, do_late]
    assert [o.required_delivery_date for o in plan.orders][1:3] == [date(2027, 3, 1)] * 2
    assert plan.orders[0].contract_number == DPAS_REQUEST["contract_number"]
    assert plan.orders[1].rated_as_of == T0 + timedelta(minutes=1)
    assert {f.rule_id for f in plan.findings} >= {"DPAS_700_14_B_LEVEL_PRECEDENCE"}

    async with sessions() as session:
        empty = await load_work_order(session, "nobody")
    assert empty.orders == []


async def test_the_work_order_pages_follow_one_another_in_700_14_order(
    sessions: Sessions,
) -> None:
    """Pages read from the index (`ix_request_views_work_order`) a few at a time give the very
    sequence the rules give all the orders at once: DX, DO, unrated; by date, undated last; the
    same date by receipt; places counted from the first page on."""
    plans = [  # rating, required date (None: undated), minutes after T0
        ("DO-A3", date(2027, 6, 1), 0),
        ("DO-A1", date(2027, 3, 1), 2),
        ("DX-A3", date(2028, 1, 1), 3),
        ("DO-A3", date(2027, 3, 1), 1),
        ("DX-A1", date(2027, 2, 1), 4),
        ("DO-A3", None, 5),
        ("DX-A2", date(2027, 2, 1), 6),
        (None, date(2027, 1, 3), 7),
        (None, date(2027, 1, 2), 8),
    ]
    for rating, due, minutes in plans:
        body = {**DPAS_REQUEST, "rating": rating} if rating else {**DPAS_REQUEST}
        if rating is None:
            body.pop("rating")
        await accepted(
            sessions,
            body,
            minutes=minutes,
            rating=rating,
            due=due or date(2027, 1, 1),
            undated=due is None,
        )
    async with sessions() as session:
        whole = await load_work_order(session, "acme-valves", limit=MAX_LIMIT)
        assert whole.next_cursor is None
        assert len(whole.orders) == len(plans)
        pages, cursor = [], None
        while True:
            page = await load_work_order(session, "acme-valves", limit=2, cursor=cursor)
            assert page.limit == 2
            assert len(page.orders) <= 2
            pages += page.orders
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        with pytest.raises(InvalidCursorError):
            await load_work_order(session, "other-firm", cursor=cursor)
    assert [o.model_dump() for o in pages] == [o.model_dump() for o in whole.orders]
    assert [o.position for o in pages] == list(range(1, len(plans) + 1))
    by_rules = plan_work("acme-valves", [_as_accepted(o) for o in reversed(whole.orders)])
    assert [o.request_id for o in pages] == [o.request_id for o in by_rules.orders]
    assert [o.rating_level for o in pages] == ["DX"] * 3 + ["DO"] * 4 + [None] * 2
    assert pages[6].required_delivery_date is None  # undated: last of its level


def _as_accepted(entry: WorkOrderEntry) -> AcceptedOrder:
    return AcceptedOrder(**entry.model_dump(exclude={"position", "links"}))
