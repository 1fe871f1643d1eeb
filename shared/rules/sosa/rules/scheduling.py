"""Preferential scheduling (15 CFR 700.14): the order in which a supplier works its orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .decision import Finding, JsonValue, finding
from .instants import require_aware
from .rating import DIRECTIVE_RANK, Rating, rank_of
from .rule_ids import RuleId
from .version import RULESET_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledOrder:
    """An accepted order as the scheduler sees it."""

    order_id: str
    rating: Rating | None
    """None for an unrated order."""
    required_delivery_date: date
    received_at: datetime
    directive: bool = False
    """A Commerce Directive covers this order: it ranks above DX, DO and unrated."""

    @property
    def rank(self) -> int:
        """3 for a Directive, 2 for DX, 1 for DO, 0 unrated (15 CFR 700.11)."""
        return DIRECTIVE_RANK if self.directive else rank_of(self.rating)


def schedule_key(order: ScheduledOrder) -> tuple[int, date, datetime, str]:
    """15 CFR 700.14(b), (c)(1): higher priority first; within a level the earliest required
    date; on the same date the earliest receipt; the order id makes the order total."""
    return (-order.rank, order.required_delivery_date, order.received_at, order.order_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkPlan:
    """The orders in the sequence to work them, and the rules that decided it."""

    orders: tuple[ScheduledOrder, ...]
    findings: tuple[Finding, ...]
    ruleset_version: str = RULESET_VERSION

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-safe form."""
        return {
            "orders": [o.order_id for o in self.orders],
            "findings": [f.to_dict() for f in self.findings],
            "ruleset_version": self.ruleset_version,
        }


def work_order(orders: Iterable[ScheduledOrder]) -> WorkPlan:
    """The sequence 15 CFR 700.14 gives: DX, then DO, then unrated; within a level by required
    delivery date, not by receipt; on the same date by earliest receipt. A rated order displaces
    other work only as needed to meet its date (700.14(a)); conflicts it cannot resolve go to
    Special Priorities Assistance (700.14(c)(2))."""
    given = list(orders)
    for order in given:
        require_aware(order.received_at, f"received_at of {order.order_id}")
    ordered = tuple(sorted(given, key=schedule_key))
    return WorkPlan(orders=ordered, findings=tuple(_explain(ordered)))


def _explain(ordered: tuple[ScheduledOrder, ...]) -> list[Finding]:
    ranks = Counter(o.rank for o in ordered)
    same_day = Counter((o.rank, o.required_delivery_date) for o in ordered)
    findings = []
    if ranks[DIRECTIVE_RANK]:
        findings.append(
            finding(
                RuleId.DPAS_700_11_DIRECTIVE_FIRST,
                f"{ranks[DIRECTIVE_RANK]} order(s) under a Commerce Directive come first, to the "
                "extent the Directive states.",
            )
        )
    if len(ranks) > 1:
        findings.append(
            finding(
                RuleId.DPAS_700_14_B_LEVEL_PRECEDENCE,
                "DX orders are worked before DO orders and DO orders before unrated ones, "
                "rescheduling other work only where needed to meet the rated dates.",
            )
        )
    if any(count > 1 for count in ranks.values()):
        findings.append(
            finding(
                RuleId.DPAS_700_14_C1_DELIVERY_DATE_ORDER,
                "Orders of equal priority are worked by earliest required delivery date, "
                "whatever the order of receipt.",
            )
        )
    if any(count > 1 for count in same_day.values()):
        findings.append(
            finding(
                RuleId.DPAS_700_14_C1_SAME_DAY_RECEIPT,
                "Orders of equal priority due the same day are worked by earliest receipt.",
            )
        )
    return findings
