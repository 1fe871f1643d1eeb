"""The work order of 15 CFR 700.14 assembled from a supplier's accepted orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sosa.intake.views.work_order import AcceptedOrder, plan_work
from tests.unit.intake.builders import T0


def order(
    request_id: str, rating: str | None, due: date | None, received_hours: int
) -> AcceptedOrder:
    received = T0 + timedelta(hours=received_hours)
    return AcceptedOrder(
        request_id=request_id,
        path="dpas",
        rating=rating,
        rating_level=rating[:2] if rating else None,
        required_delivery_date=due,
        received_at=received,
        rated_as_of=received,
        contract_number=f"N-{request_id}",
    )


def test_dx_before_do_then_by_date_then_by_receipt() -> None:
    orders = [
        order("do-late", "DO-A3", date(2027, 6, 1), 0),
        order("do-early-second", "DO-A1", date(2027, 3, 1), 5),
        order("dx", "DX-A3", date(2027, 9, 1), 9),
        order("do-early-first", "DO-A3", date(2027, 3, 1), 1),
    ]
    plan = plan_work("acme-valves", orders)
    assert [o.request_id for o in plan.orders] == [
        "dx",
        "do-early-first",
        "do-early-second",
        "do-late",
    ]
    assert [o.position for o in plan.orders] == [1, 2, 3, 4]
    rule_ids = {f.rule_id for f in plan.findings}
    assert {
        "DPAS_700_14_B_LEVEL_PRECEDENCE",
        "DPAS_700_14_C1_DELIVERY_DATE_ORDER",
        "DPAS_700_14_C1_SAME_DAY_RECEIPT",
    } <= rule_ids
    assert all(f.citation.startswith("15 CFR 700.1") for f in plan.findings)
    assert plan.ruleset_version
    first = plan.orders[0]
    assert (first.rating, first.rating_level, first.contract_number) == ("DX-A3", "DX", "N-dx")
    assert first.links["self"] == "/v1/priority-requests/dx"


def test_receipt_counts_from_when_the_order_was_rated() -> None:
    upgraded_early = order("a", "DO-A3", date(2027, 3, 1), 0)
    later = order("b", "DO-A3", date(2027, 3, 1), 2)
    # "a" was received first but rescheduled (700.16(c)) after "b" arrived: "b" goes first
    rescheduled = replace(upgraded_early, rated_as_of=T0 + timedelta(hours=3))
    plan = plan_work("acme-valves", [rescheduled, later])
    assert [o.request_id for o in plan.orders] == ["b", "a"]


def test_an_order_without_a_usable_date_comes_last_in_its_level() -> None:
    plan = plan_work(
        "acme-valves",
        [order("undated", "DO-A3", None, 0), order("dated", "DO-A3", date(2030, 1, 1), 5)],
    )
    assert [o.request_id for o in plan.orders] == ["dated", "undated"]
    assert plan.orders[1].required_delivery_date is None


def test_no_orders_is_an_empty_plan() -> None:
    plan = plan_work("nobody", [])
    assert (plan.orders, plan.findings) == ([], [])
