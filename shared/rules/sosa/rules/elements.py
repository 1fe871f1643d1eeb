"""The elements every rated order must contain (15 CFR 700.12), each checked with its own reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final

from .clock_rules import ClockRules, Hazard
from .decision import Finding, finding
from .emergency import check_emergency
from .priority_request import PriorityRequest
from .rating import Rating
from .rating_checks import check_rating
from .rule_ids import RuleId
from .schedule_i import ScheduleI

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_SPECIFIC = re.compile(
    r"\b(a\.?s\.?a\.?p|as soon as (possible|practicable)|immediate(ly)?|at once|urgent(ly)?|"
    r"now|tbd|tba|to be (determined|advised)|soonest)\b",
    re.I,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementsCheck:
    """What §700.12 found: parsed values (None where invalid) and one finding per element."""

    rating: Rating | None
    dates: tuple[date, ...]
    emergency_hours: int | None
    hazard: Hazard | None
    findings: tuple[Finding, ...]

    @property
    def complete(self) -> bool:
        """True when no element is missing or bad."""
        return not any(f.blocking for f in self.findings)


def check_elements(
    request: PriorityRequest, *, schedule: ScheduleI, rules: ClockRules, with_rating: bool = True
) -> ElementsCheck:
    """15 CFR 700.12(a)(1)-(4) and (b). `with_rating=False` skips (a)(1) for a partner request,
    whose rating comes from Commerce's authorization."""
    rating, findings = check_rating(request.rating, schedule) if with_rating else (None, [])
    dates, date_findings = check_delivery_dates(request.required_delivery_dates)
    findings += date_findings
    findings += check_signer(request.authorized_signer)
    findings += check_certification(request.certification_statement)
    hours, hazard = None, None
    if request.emergency_preparedness is not None:
        emergency = check_emergency(request.emergency_preparedness, rules)
        hours, hazard = emergency.hours, emergency.hazard
        findings += emergency.findings
    if not any(f.blocking for f in findings):
        scope = "" if with_rating else ", except the rating that Commerce's authorization supplies"
        findings.append(
            finding(
                RuleId.DPAS_700_12_ELEMENTS_COMPLETE,
                f"The order carries every element 15 CFR 700.12 requires{scope}.",
            )
        )
    return ElementsCheck(
        rating=rating, dates=dates, emergency_hours=hours, hazard=hazard, findings=tuple(findings)
    )


def check_delivery_dates(texts: tuple[str, ...]) -> tuple[tuple[date, ...], list[Finding]]:
    """15 CFR 700.12(a)(2): one or more specific required delivery dates. "Immediately" and
    "as soon as possible" are not dates. Each bad entry gets its own finding."""
    entries = [t.strip() for t in texts if t.strip()]
    if not entries:
        missing = finding(
            RuleId.DPAS_700_12_A2_DELIVERY_DATE_MISSING,
            "The order states no required delivery date. Give one or more specific dates.",
            blocking=True,
        )
        return (), [missing]
    dates, findings = set(), []
    for entry in entries:
        parsed = _iso_date(entry)
        if parsed is not None:
            dates.add(parsed)
        else:
            findings.append(_bad_date(entry))
    return tuple(sorted(dates)), findings


def check_signer(signer: str | None) -> list[Finding]:
    """15 CFR 700.12(a)(3): the written or digital signature, or the name on an electronic
    order, of a person authorized to sign rated orders."""
    if signer and signer.strip():
        return []
    return [
        finding(
            RuleId.DPAS_700_12_A3_SIGNER_MISSING,
            "The order has no authorized signature. Give the name of the person authorized "
            "to sign rated orders.",
            blocking=True,
        )
    ]


def check_certification(statement: str | None) -> list[Finding]:
    """15 CFR 700.12(a)(4): a statement that says in substance that this is a rated order
    certified for national defense use and that the supplier must follow 15 CFR 700 (DPAS).
    The FAR 52.211-15 wording is an accepted variant."""
    if statement is None or not statement.strip():
        return [_certification(RuleId.DPAS_700_12_A4_CERTIFICATION_MISSING, "is missing")]
    missing = _certification_missing(statement)
    if not missing:
        return []
    return [
        _certification(
            RuleId.DPAS_700_12_A4_CERTIFICATION_NOT_RECOGNISED,
            f"does not say {', '.join(missing)}",
        )
    ]


_CERTIFICATION_PARTS = (
    ("that this is a rated order", re.compile(r"rated order")),
    ("that it is certified", re.compile(r"certif")),
    ("that it is for national defense use", re.compile(r"national defense")),
    (
        "that the supplier must follow 15 CFR 700 (DPAS)",
        re.compile(r"15 c\.?f\.?r\.?( part| §)? ?700|defense priorities and allocations system"),
    ),
)


@lru_cache(maxsize=64)
def _certification_missing(statement: str) -> tuple[str, ...]:
    """What a certification statement (15 CFR 700.12(a)(4)) does not say, by part; a stream's
    orders carry the same few statements, so each is read once (a bounded cache: 64 statements
    of at most 4,000 characters, `LongText`)."""
    text = " ".join(statement.lower().replace("defence", "defense").split())
    return tuple(label for label, pattern in _CERTIFICATION_PARTS if not pattern.search(text))


def _certification(rule_id: RuleId, problem: str) -> Finding:
    return finding(
        rule_id,
        f"The DPAS certification statement {problem}. It must say in substance: 'This is a "
        "rated order certified for national defense use and you are required to follow all the "
        "provisions of the Defense Priorities and Allocations System regulation (15 CFR 700).'",
        blocking=True,
    )


def past_delivery_dates(dates: tuple[date, ...], *, today: date) -> list[Finding]:
    """15 CFR 700.12(a)(2) asks for the date the items are required; one that is already past
    on the day of receipt (in the supplier's zone) cannot be met as written. Not a reason to
    refuse the order: a warning, so that the requester corrects it and the supplier knows that
    it may answer with the earliest date it can deliver (700.13(b)(1))."""
    past = sorted(d for d in dates if d < today)
    if not past:
        return []
    listed = ", ".join(d.isoformat() for d in past)
    return [
        finding(
            RuleId.DPAS_700_12_A2_DELIVERY_DATE_PAST,
            f"Required delivery date {listed} was already past when the order was received "
            f"({today.isoformat()} in the supplier's zone): amend the schedule (15 CFR 700.16), "
            "or expect the supplier to answer with the earliest date it can deliver "
            "(15 CFR 700.13(b)(1)).",
        )
    ]


PLAUSIBLE_YEARS: Final = range(1900, 2201)
"""A delivery date outside these years is no real date of an order (years 1 and 9999 are
what a garbled or hostile system sends): the order is refused as having no real date."""


@lru_cache(maxsize=4096)
def _iso_date(text: str) -> date | None:
    """A required delivery date (15 CFR 700.12(a)(2)) as an ISO date, or None; the same dates
    recur across a stream's orders, so each text is parsed once (a bounded cache)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.year in PLAUSIBLE_YEARS else None


def _parses(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _bad_date(entry: str) -> Finding:
    if _NOT_SPECIFIC.search(entry):
        return finding(
            RuleId.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC,
            f"{entry!r} is not a delivery date: 'immediately' or 'as soon as possible' do not "
            "meet 15 CFR 700.12(a)(2). Give a specific date (YYYY-MM-DD).",
            blocking=True,
        )
    why = "is not a calendar date"
    if _ISO_DATE.fullmatch(entry) and _parses(entry):
        why = f"is outside the years {PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1}"
    return finding(
        RuleId.DPAS_700_12_A2_DELIVERY_DATE_INVALID,
        f"{entry!r} {why}. Give each required delivery date as YYYY-MM-DD.",
        blocking=True,
    )
