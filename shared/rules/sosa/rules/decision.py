"""What every rule entry point returns: an outcome, the findings behind it, the rule-set version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from .catalog import rule
from .rating import Rating
from .rule_ids import RuleId
from .version import RULESET_VERSION

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class Outcome(StrEnum):
    """What the rules decided. The router maps it to the request's next state."""

    DPAS_RATED_ORDER = "dpas_rated_order"
    AWAITING_DETERMINATION = "awaiting_determination"
    AWAITING_AUTHORIZATION = "awaiting_authorization"
    VOLUNTARY_REQUEST = "voluntary_request"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    REJECTED_BY_SUPPLIER = "rejected_by_supplier"
    COUNTER_OFFERED = "counter_offered"
    PARTIALLY_ACCEPTED = "partially_accepted"
    DECLINED = "declined"
    OVERDUE = "overdue"
    AMENDED = "amended"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    """The command is not allowed; the request's state does not change."""


class Path(StrEnum):
    """Which arrangement carries a request (same values as the wire's RoutePath)."""

    DPAS = "dpas"
    DPAS_VIA_SOSA = "dpas_via_sosa"
    VOLUNTARY = "voluntary"
    NONE = "none"


class ClockKind(StrEnum):
    """What kind of response clock `Decision.deadline` is."""

    WORKING_DAYS = "working_days"
    """15 CFR 700.13(d)(1): 15 (DO) or 10 (DX) working days."""
    EMERGENCY_HOURS = "emergency_hours"
    """15 CFR 700.13(e): the clock hours an emergency-preparedness order states."""
    VOLUNTARY_TARGET = "voluntary_target"
    """A partner's configured target: informational, never statutory."""


class Authority(StrEnum):
    """Who must act next on a partner request to a US supplier."""

    DOD_PROGRAM_DETERMINATION = "dod_program_determination"
    COMMERCE_RATING_AUTHORIZATION = "commerce_rating_authorization"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One rule that fired: its stable id, its citation and a reason a person can read.

    `blocking` findings are the ones that caused a rejection or refusal; the others explain.
    """

    rule_id: RuleId
    citation: str
    reason: str
    blocking: bool = False

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-safe form."""
        return {
            "rule_id": str(self.rule_id),
            "citation": self.citation,
            "reason": self.reason,
            "blocking": self.blocking,
        }


def finding(rule_id: RuleId, reason: str, *, blocking: bool = False) -> Finding:
    """A finding for a catalogued rule, with the catalogue's citation."""
    return Finding(
        rule_id=rule_id, citation=rule(rule_id).citation, reason=reason, blocking=blocking
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The answer of every `decide_*` entry point."""

    request_id: str
    outcome: Outcome
    path: Path | None
    findings: tuple[Finding, ...]
    ruleset_version: str = RULESET_VERSION
    rating: Rating | None = None
    required_delivery_dates: tuple[date, ...] = ()
    clock: ClockKind | None = None
    clock_started_at: datetime | None = None
    deadline: datetime | None = None
    reminders: tuple[datetime, ...] = ()
    early_escalation_at: datetime | None = None
    """Under a posture with an escalation margin: when an unanswered request is escalated."""
    emergency_hours: int | None = None
    priority_effective_at: datetime | None = None
    partner_country: str | None = None
    liaison: str | None = None
    awaiting: Authority | None = None
    offered_date: date | None = None
    offered_quantity: Decimal | None = None
    late: bool = False

    @property
    def rule_ids(self) -> tuple[RuleId, ...]:
        """The ids of the rules that fired, in order."""
        return tuple(f.rule_id for f in self.findings)

    @property
    def priority_rank(self) -> int:
        """2 for DX, 1 for DO, 0 when unrated (15 CFR 700.11)."""
        return self.rating.rank if self.rating else 0

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-safe form: enums as values, dates and datetimes as ISO 8601, decimals as strings."""
        return {
            "request_id": self.request_id,
            "outcome": str(self.outcome),
            "path": _text(self.path),
            "findings": [f.to_dict() for f in self.findings],
            "ruleset_version": self.ruleset_version,
            "rating": _text(self.rating),
            "priority_rank": self.priority_rank,
            "required_delivery_dates": [d.isoformat() for d in self.required_delivery_dates],
            "clock": _text(self.clock),
            "clock_started_at": _iso(self.clock_started_at),
            "deadline": _iso(self.deadline),
            "reminders": [r.isoformat() for r in self.reminders],
            "early_escalation_at": _iso(self.early_escalation_at),
            "emergency_hours": self.emergency_hours,
            "priority_effective_at": _iso(self.priority_effective_at),
            "partner_country": self.partner_country,
            "liaison": self.liaison,
            "awaiting": _text(self.awaiting),
            "offered_date": _iso(self.offered_date),
            "offered_quantity": _text(self.offered_quantity),
            "late": self.late,
        }


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
