"""Preferential scheduling (15 CFR 700.14): DX, DO, unrated; then required date; then receipt."""

from __future__ import annotations

from datetime import date

from sosa.rules import Rating, RuleId, ScheduledOrder, work_order

from .builders import utc

R = RuleId


def order(
    order_id: str, rating: str | None, due: date, received_day: int, **kw: bool
) -> ScheduledOrder:
    return ScheduledOrder(
        order_id=order_id,
        rating=Rating.parse(rating) if rating else None,
        required_delivery_date=due,
        received_at=utc(2026, 5, received_day, 9),
        **kw,
    )


def ids(orders: list[ScheduledOrder]) -> list[str]:
    return [o.order_id for o in work_order(orders).orders]


def test_700_14_b_dx_before_do_before_unrated() -> None:
    orders = [
        order("unrated", None, date(2026, 6, 1), 1),
        order("do", "DO-A1", date(2026, 9, 1), 2),
        order("dx", "DX-A2", date(2026, 12, 1), 3),
    ]
    plan = work_order(orders)
    assert [o.order_id for o in plan.orders] == ["dx", "do", "unrated"]
    assert plan.findings[0].rule_id is R.DPAS_700_14_B_LEVEL_PRECEDENCE


def test_700_14_b_rule_example_dx_15_july_and_do_2_june() -> None:
    # Section 700.14(b)'s example: both dates can be met, so the DX needs no extra preference;
    # the work order still lists the DX first, and the finding says to reschedule only if needed.
    plan = work_order(
        [order("do", "DO-A1", date(2026, 6, 2), 1), order("dx", "DX-A1", date(2026, 7, 15), 2)]
    )
    assert [o.order_id for o in plan.orders] == ["dx", "do"]
    assert "only where needed" in plan.findings[0].reason


def test_700_14_c1_equal_priority_by_required_date_not_receipt() -> None:
    orders = [
        order("first-in", "DO-A1", date(2026, 9, 30), 1),
        order("due-sooner", "DO-C9", date(2026, 9, 1), 20),
    ]
    plan = work_order(orders)
    assert [o.order_id for o in plan.orders] == ["due-sooner", "first-in"]
    assert [f.rule_id for f in plan.findings] == [R.DPAS_700_14_C1_DELIVERY_DATE_ORDER]


def test_700_14_c1_same_day_by_earliest_receipt() -> None:
    due = date(2026, 9, 1)
    plan = work_order([order("later", "DX-A1", due, 9), order("earlier", "DX-B1", due, 2)])
    assert [o.order_id for o in plan.orders] == ["earlier", "later"]
    assert R.DPAS_700_14_C1_SAME_DAY_RECEIPT in [f.rule_id for f in plan.findings]


def test_700_11_directive_ranks_above_dx() -> None:
    orders = [
        order("dx", "DX-A1", date(2026, 6, 1), 1),
        order("directed", "DO-A1", date(2026, 12, 1), 2, directive=True),
    ]
    plan = work_order(orders)
    assert [o.order_id for o in plan.orders] == ["directed", "dx"]
    assert plan.findings[0].rule_id is R.DPAS_700_11_DIRECTIVE_FIRST


def test_700_14_work_plan_serialises() -> None:
    plan = work_order([order("a", "DO-A1", date(2026, 6, 1), 1)])
    assert plan.to_dict()["orders"] == ["a"]
    assert plan.findings == ()
    assert work_order([]).orders == ()
