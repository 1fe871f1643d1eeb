"""The emergency-preparedness element (15 CFR 700.12(b)) and its minimum time limits (700.13(e))."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clock_rules import ClockRules, Hazard
from .decision import Finding, finding
from .priority_request import EmergencyPreparedness
from .rule_ids import RuleId

_HOURS_IN_STATEMENT = re.compile(r"within\s+(\d{1,4})\s*(?:clock\s+)?(?:hours?|hrs?|h)\b", re.I)
_EP_PHRASE = re.compile(r"emergency[\s\u2010\u2011-]+preparedness", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyCheck:
    """The validated time limit and hazard (None where invalid) and the findings."""

    hours: int | None
    hazard: Hazard | None
    findings: tuple[Finding, ...]


def check_emergency(ep: EmergencyPreparedness, rules: ClockRules) -> EmergencyCheck:
    """15 CFR 700.12(b): an emergency-preparedness order states that it is one and that it must
    be accepted or rejected within a stated number of hours; 700.13(e): at least 6 hours for a
    hazard that has occurred, 12 for an imminent hazard. An order stating fewer is refused.
    """
    hazard = _hazard(ep.hazard)
    hours, found = _hours(ep)
    findings = [*found, *_statement(ep.statement)]
    if hazard is None:
        findings.append(
            finding(
                RuleId.DPAS_700_12_B_EP_HAZARD_INVALID,
                f"Hazard {ep.hazard!r} is neither 'occurred' (a hazard that has occurred) nor "
                "'imminent' (preparing for an imminent hazard); the minimum time limit "
                "depends on it.",
                blocking=True,
            )
        )
    elif hours is not None and hours < rules.minimum_hours_for(hazard):
        minimum = rules.minimum_hours_for(hazard)
        findings.append(
            finding(
                RuleId.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM,
                f"The order allows {hours} hours, fewer than the {minimum}-hour minimum for an "
                f"{hazard} hazard. State a time limit of at least {minimum} hours.",
                blocking=True,
            )
        )
        hours = None
    return EmergencyCheck(hours=hours, hazard=hazard, findings=tuple(findings))


def _hazard(text: str) -> Hazard | None:
    try:
        return Hazard(text.strip().lower())
    except ValueError:
        return None


def _hours(ep: EmergencyPreparedness) -> tuple[int | None, list[Finding]]:
    """The time limit from the hours field or, failing that, from the statement's wording."""
    match = _HOURS_IN_STATEMENT.search(ep.statement or "")
    stated = int(match.group(1)) if match else None
    if ep.hours is not None and stated is not None and ep.hours != stated:
        return None, [
            finding(
                RuleId.DPAS_700_12_B_EP_HOURS_INCONSISTENT,
                f"The order gives {ep.hours} hours but its statement says {stated} hours. "
                "State one time limit.",
                blocking=True,
            )
        ]
    hours = ep.hours if ep.hours is not None else stated
    if hours is None:
        return None, [
            finding(
                RuleId.DPAS_700_12_B_EP_HOURS_MISSING,
                "An emergency-preparedness order must state within how many hours after receipt "
                "it must be accepted or rejected.",
                blocking=True,
            )
        ]
    return hours, []


def _statement(statement: str | None) -> list[Finding]:
    if statement and _EP_PHRASE.search(statement):
        return []
    return [
        finding(
            RuleId.DPAS_700_12_B_EP_STATEMENT_MISSING,
            "An emergency-preparedness order must state, in substance: 'This rated order is "
            "placed for the purpose of emergency preparedness. It must be accepted or rejected "
            "within [N] hours after receipt of the order.'",
            blocking=True,
        )
    ]
