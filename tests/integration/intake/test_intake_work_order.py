"""A supplier's work order from the real PostgreSQL: only its accepted DPAS orders, in order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake.views.work_order import load_work_order
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
