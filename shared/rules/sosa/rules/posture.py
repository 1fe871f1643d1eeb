"""Posture: peacetime, emergency or armed conflict, globally or for one partner, and what it
tightens (SOSA: the arrangements address supply-chain problems "in peacetime, emergency and
armed conflict", rulebook section 7.1).

A posture tightens only what sosa itself controls: the voluntary path's response target, the
reminder cadence, how early an unanswered request is escalated, and (in the notifier) the retry
waits and the hand-over to the second channel. It never changes the DPAS response limits of
15 CFR 700.13(d) (15 working days for DO, 10 for DX) nor the emergency-preparedness minimum
hours of 700.13(e): `clock_rules` keeps them and nothing here writes them. The values per
posture live in `data/postures.json`, each with the reason for it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from . import datafiles
from .clock_rules import ClockRules
from .datafiles import DataFileError, Row
from .deadlines import end_of_working_day, planned_reminders
from .decision import Decision, Finding, Outcome, Path, finding
from .facts import RequestFacts, RequestStatus
from .partners import ResponseTarget
from .rule_ids import RuleId
from .working_days import WorkingCalendar

DATA_FILE = "postures.json"
GLOBAL = "global"
"""The scope of a posture set for every partner (and for the US-only DPAS path)."""


def scope_in_force(scopes: Collection[str], partner_country: str | None) -> str:
    """The scope whose posture applies to a request of `partner_country` (None: a US-only
    request), given the scopes that have a posture set: the partner's own if it has one, else
    `global` (peacetime when that is not set either). The one home of this choice: the router
    decides by it (`PostureBook.in_force`) and the notifier tightens its deliveries by it."""
    if partner_country is not None and partner_country in scopes:
        return partner_country
    return GLOBAL


class Posture(StrEnum):
    PEACETIME = "peacetime"
    EMERGENCY = "emergency"
    ARMED_CONFLICT = "armed_conflict"


class Highlight(StrEnum):
    NONE = "none"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True, slots=True, kw_only=True)
class PostureSettings:
    """What one posture sets (see `data/postures.json` for the reason behind each value)."""

    voluntary_target_working_days: int | None
    reminder_fractions: tuple[float, ...]
    reminder_working_days_before: int
    escalation_margin_working_days: int
    retry_interval_factor: float
    second_channel_factor: float
    highlight: Highlight

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the values of `data/postures.json`), as the API and events show it."""
        return {
            "voluntary_target_working_days": self.voluntary_target_working_days,
            "reminder_fractions": list(self.reminder_fractions),
            "reminder_working_days_before": self.reminder_working_days_before,
            "escalation_margin_working_days": self.escalation_margin_working_days,
            "retry_interval_factor": self.retry_interval_factor,
            "second_channel_factor": self.second_channel_factor,
            "highlight": self.highlight.value,
        }

    def clock_rules(self, base: ClockRules) -> ClockRules:
        """`base` with this posture's reminder cadence; its working days and emergency minimum
        hours (15 CFR 700.13(d), (e)) are carried over unchanged. Made once per posture and base
        (both immutable, and few: every decision under a posture asks for the same)."""
        return _with_cadence(self, base)

    def voluntary_target(self, partner_target: ResponseTarget | None) -> ResponseTarget | None:
        """The partner's target, or this posture's when that is tighter (or the partner has
        none). A target in clock hours is the partner's own and is kept."""
        days = self.voluntary_target_working_days
        if days is None:
            return partner_target
        if partner_target is None:
            return ResponseTarget(working_days=days)
        if partner_target.hours is not None:
            return partner_target
        if partner_target.working_days is not None and partner_target.working_days <= days:
            return partner_target
        return ResponseTarget(working_days=days)


@dataclass(frozen=True, slots=True, kw_only=True)
class PostureInForce:
    """The posture that applies to one request, and whether it was set for its partner."""

    posture: Posture
    scope: str
    """`global`, or the partner's country code."""
    settings: PostureSettings

    def finding(self) -> Finding:
        """The decision names the posture it was made under (the same text for the same
        posture, scope and settings: made once, `_posture_finding`)."""
        return _posture_finding(self)


@dataclass(frozen=True, slots=True)
class PostureBook:
    """The settings of every posture."""

    settings: Mapping[Posture, PostureSettings]

    @classmethod
    def default(cls) -> PostureBook:
        """The packaged `data/postures.json`."""
        return _default()

    @classmethod
    def from_dict(cls, data: Row) -> PostureBook:
        postures = datafiles.section(data, "postures")
        if postures is None:
            raise DataFileError("'postures' is required")
        found = {}
        for posture in Posture:
            row = datafiles.section(postures, posture.value)
            if row is None:
                raise DataFileError(f"posture {posture.value!r} is missing")
            found[posture] = _settings(row, posture.value)
        return cls(found)

    def in_force(
        self, postures: Mapping[str, Posture], partner_country: str | None
    ) -> PostureInForce:
        """The posture for a request: its partner's own posture if one is set, else the global
        one, else peacetime. `postures` maps a scope (`global` or a country) to its posture."""
        scope = scope_in_force(postures.keys(), partner_country)
        posture = postures.get(scope, Posture.PEACETIME)
        return PostureInForce(posture=posture, scope=scope, settings=self.settings[posture])


def _value(row: Row, key: str, posture: str) -> Any:
    entry = datafiles.section(row, key)
    if entry is None or "value" not in entry:
        raise DataFileError(f"{posture}.{key}: a {{'value', 'why'}} entry is required")
    if not datafiles.optional_text(entry, "why"):
        raise DataFileError(f"{posture}.{key}: 'why' must say why the value is what it is")
    return entry["value"]


def _settings(row: Row, posture: str) -> PostureSettings:
    days = _value(row, "voluntary_target_working_days", posture)
    fractions = _value(row, "reminder_fractions", posture)
    if not isinstance(fractions, list) or not all(
        isinstance(f, int | float) and 0 < f < 1 for f in fractions
    ):
        raise DataFileError(f"{posture}.reminder_fractions: fractions strictly between 0 and 1")
    before = _value(row, "reminder_working_days_before", posture)
    margin = _value(row, "escalation_margin_working_days", posture)
    retry = _value(row, "retry_interval_factor", posture)
    second = _value(row, "second_channel_factor", posture)
    for name, number in (("retry_interval_factor", retry), ("second_channel_factor", second)):
        if not isinstance(number, int | float) or not 0 < number <= 1:
            raise DataFileError(f"{posture}.{name}: a factor in (0, 1]: postures only tighten")
    for name, count in (("reminder_working_days_before", before), ("margin", margin)):
        if not isinstance(count, int) or count < 0:
            raise DataFileError(f"{posture}.{name}: a whole number of working days, 0 or more")
    if days is not None and (not isinstance(days, int) or days < 1):
        raise DataFileError(f"{posture}.voluntary_target_working_days: null or 1 or more")
    shown = _value(row, "highlight", posture)
    try:
        highlight = Highlight(shown)
    except ValueError as exc:
        raise DataFileError(f"{posture}.highlight: none, amber or red") from exc
    return PostureSettings(
        voluntary_target_working_days=days,
        reminder_fractions=tuple(float(f) for f in sorted(fractions)),
        reminder_working_days_before=before,
        escalation_margin_working_days=margin,
        retry_interval_factor=float(retry),
        second_channel_factor=float(second),
        highlight=highlight,
    )


@dataclass(frozen=True, slots=True)
class PostureBoard:
    """The postures set now (scope -> posture), with the settings of each."""

    book: PostureBook
    postures: Mapping[str, Posture]

    @classmethod
    def peacetime(cls) -> PostureBoard:
        """No posture set anywhere: peacetime for every partner."""
        return cls(PostureBook.default(), {})

    def for_partner(self, country: str | None) -> PostureInForce:
        return self.book.in_force(self.postures, country)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """When to remind and when to escalate early, for a clock that is running."""

    reminders: tuple[datetime, ...]
    early_escalation_at: datetime | None


@lru_cache(maxsize=64)
def _with_cadence(settings: PostureSettings, base: ClockRules) -> ClockRules:
    return replace(
        base,
        half_way_reminder=False,
        reminder_fractions=settings.reminder_fractions,
        reminder_working_days_before=settings.reminder_working_days_before,
    )


def plan(
    *,
    started_at: datetime,
    deadline: datetime,
    hours_clock: bool,
    posture: PostureInForce,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    base: ClockRules | None = None,
) -> Plan:
    """The reminder points and the early-escalation point of a running clock under `posture`.
    The deadline is the clock's own (15 CFR 700.13(d)/(e) or the voluntary target); only the
    points before it move. Early escalation applies to working-day clocks only: a margin of
    working days means nothing in a window of a few clock hours."""
    rules = posture.settings.clock_rules(base or ClockRules.default())
    days = None if hours_clock else working_days_between(started_at, deadline, zone, calendar)
    reminders = planned_reminders(
        started_at=started_at,
        deadline=deadline,
        days=days,
        zone=zone,
        calendar=calendar,
        rules=rules,
    )
    margin = posture.settings.escalation_margin_working_days
    early = None
    if days is not None and margin and days - margin > 0:
        early = end_of_working_day(started_at, days - margin, zone=zone, calendar=calendar)
    return Plan(reminders=reminders, early_escalation_at=early)


def apply(
    decision: Decision,
    posture: PostureInForce,
    *,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    hours_clock: bool,
) -> Decision:
    """`decision` as made under `posture`: it names the posture, and a clock it started gets
    the posture's reminder cadence and early-escalation point. The deadline never moves here."""
    return replace(
        decision,
        **under_posture(
            decision.findings,
            decision.clock_started_at,
            decision.deadline,
            posture,
            zone=zone,
            calendar=calendar,
            hours_clock=hours_clock,
        ),
    )


def under_posture(
    findings: tuple[Finding, ...],
    started_at: datetime | None,
    deadline: datetime | None,
    posture: PostureInForce,
    *,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    hours_clock: bool,
) -> dict[str, Any]:
    """What `apply` changes in a decision with these findings and this clock (none started:
    `started_at` or `deadline` None), for a caller that builds its decision once with them:
    the findings with the posture's own, and under a clock the posture's reminder points and
    early-escalation point (`plan`). The DPAS limits of 15 CFR 700.13(d), (e) stay: the
    deadline is not among them."""
    changes: dict[str, Any] = {"findings": (*findings, posture.finding())}
    if started_at is None or deadline is None:
        return changes
    planned = plan(
        started_at=started_at,
        deadline=deadline,
        hours_clock=hours_clock,
        posture=posture,
        zone=zone,
        calendar=calendar,
    )
    changes["reminders"] = planned.reminders
    changes["early_escalation_at"] = planned.early_escalation_at
    return changes


def working_days_between(
    started_at: datetime, deadline: datetime, zone: ZoneInfo, calendar: WorkingCalendar
) -> int:
    """N such that `deadline` falls on the N-th working day after the local day of `started_at`."""
    return calendar.working_days_between(
        started_at.astimezone(zone).date(), deadline.astimezone(zone).date()
    )


def voluntary_target_note(posture: PostureInForce, days: int) -> Finding:
    """Code of Conduct: the posture asks for an answer sooner; still voluntary, never enforced."""
    return finding(
        RuleId.SOSA_POSTURE_VOLUNTARY_TARGET,
        f"Under posture {posture.posture.value} the firm is asked to answer within {days} working "
        "days, sooner than the partner's own target. It stays voluntary under the Code of "
        "Conduct: a missed target is noted and chased, never enforced.",
    )


def decide_early_escalation(
    facts: RequestFacts, posture: PostureInForce, *, now: datetime
) -> Decision:
    """Under a posture with an escalation margin, a request still unanswered that many working
    days before its deadline is escalated early: whoever acts on an overdue request (the
    requester on the DPAS path, the liaison on the voluntary one) hears now. Its state and
    deadline do not change; the answer is not yet late."""
    routed = frozenset({RequestStatus.ROUTED})
    if facts.status is not RequestStatus.ROUTED:
        return facts.wrong_state("An early escalation", routed)
    if facts.deadline is None or now > facts.deadline:
        return facts.wrong_state("An early escalation before the deadline", routed)
    margin = posture.settings.escalation_margin_working_days
    note = finding(
        RuleId.SOSA_POSTURE_EARLY_ESCALATION,
        f"No answer yet, {margin} working day(s) before the deadline of "
        f"{facts.deadline.isoformat()}: escalated early under posture {posture.posture.value}. "
        "The deadline itself is unchanged.",
    )
    kept = Outcome.VOLUNTARY_REQUEST if facts.path is Path.VOLUNTARY else Outcome.DPAS_RATED_ORDER
    return facts.carried(kept, [note, posture.finding()])


@lru_cache(maxsize=256)
def _posture_finding(in_force: PostureInForce) -> Finding:
    """A posture's finding, one per (posture, scope, settings): every decision made under it
    carries the same constant text."""
    where = "for every partner" if in_force.scope == GLOBAL else f"for partner {in_force.scope}"
    s = in_force.settings
    target = (
        f"voluntary response target at most {s.voluntary_target_working_days} working days"
        if s.voluntary_target_working_days is not None
        else "the partner's own voluntary response target"
    )
    cadence = ", ".join(f"{f:g}" for f in s.reminder_fractions)
    return finding(
        RuleId.SOSA_POSTURE_IN_FORCE,
        f"Posture {in_force.posture.value} is in force {where}: {target}; reminders at "
        f"{cadence} of the window and {s.reminder_working_days_before} working day(s) "
        f"before the deadline; early escalation {s.escalation_margin_working_days} working "
        "day(s) before it. The DPAS limits of 15 CFR 700.13(d) and (e) are unchanged.",
    )


@cache
def _default() -> PostureBook:
    return PostureBook.from_dict(datafiles.load(DATA_FILE))
