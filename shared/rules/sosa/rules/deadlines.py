"""Response clocks: when an answer is due and when to remind (15 CFR 700.13(d)-(e), partners)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock_rules import ClockRules, Hazard
from .decision import ClockKind, Finding, finding
from .partners import ResponseTarget
from .rating import Level, Rating
from .rule_ids import RuleId
from .working_days import WorkingCalendar

_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseClock:
    """A running response clock: kind, start, deadline, reminder points and the rule behind it."""

    kind: ClockKind
    started_at: datetime
    deadline: datetime
    reminders: tuple[datetime, ...]
    finding: Finding


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA time zone called `name`, or None when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def end_of_working_day(
    received_at: datetime, count: int, *, zone: ZoneInfo, calendar: WorkingCalendar
) -> datetime:
    """23:59:59 local on the `count`-th working day after the local day of receipt (day 0)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    day0 = received_at.astimezone(zone).date()
    return datetime.combine(calendar.add_working_days(day0, count), _END_OF_DAY, tzinfo=zone)


def response_clock(
    *,
    rating: Rating,
    received_at: datetime,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    emergency_hours: int | None = None,
    hazard: Hazard | None = None,
    rules: ClockRules | None = None,
    with_reminders: bool = True,
) -> ResponseClock:
    """The DPAS response clock of a rated order received at `received_at`.

    15 CFR 700.13(d)(1): accept or reject within 15 working days (DO) or 10 (DX) after receipt.
    15 CFR 700.13(e): an emergency-preparedness order is answered within the clock hours it
    states, which may not be fewer than 6 (hazard occurred) or 12 (imminent hazard).
    Without `with_reminders`, no reminder points (a posture plans them: `posture.apply`); the
    deadline is the same.
    """
    rules = rules or ClockRules.default()
    local = _local(received_at, zone)
    if emergency_hours is not None:
        minimum = rules.minimum_hours_for(hazard or Hazard.IMMINENT)
        if emergency_hours < minimum:
            raise ValueError(f"emergency-preparedness hours below the minimum of {minimum}")
        deadline, reminders = _hours_span(
            received_at, emergency_hours, zone, rules if with_reminders else None
        )
        reason = f"accept or reject within {emergency_hours} clock hours"
        kind, rule_id = ClockKind.EMERGENCY_HOURS, RuleId.DPAS_700_13_E_EP_HOURS
    else:
        days = rules.working_days_for(rating.level)
        deadline, reminders = _working_days_span(
            received_at, days, zone, calendar, rules if with_reminders else None
        )
        reason = f"accept or reject within {days} working days"
        kind, rule_id = ClockKind.WORKING_DAYS, _WORKING_DAY_RULE[rating.level]
    return ResponseClock(
        kind=kind,
        started_at=received_at,
        deadline=deadline,
        reminders=reminders,
        finding=finding(
            rule_id,
            f"{rating} received {local}: {reason}, by {deadline.isoformat()} supplier time.",
        ),
    )


def voluntary_clock(
    target: ResponseTarget,
    *,
    received_at: datetime,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    rules: ClockRules | None = None,
    with_reminders: bool = True,
) -> ResponseClock:
    """A partner's configured response target: informational, never a statutory deadline
    (Code of Conduct; 15 CFR 700.57(a)). Without `with_reminders`, no reminder points (a
    posture plans them: `posture.under_posture`)."""
    planned = (rules or ClockRules.default()) if with_reminders else None
    if target.hours is not None:
        deadline, reminders = _hours_span(received_at, target.hours, zone, planned)
        span = f"{target.hours} clock hours"
    else:
        days = target.working_days or 0
        deadline, reminders = _working_days_span(received_at, days, zone, calendar, planned)
        span = f"{days} working days on the {calendar.country} calendar"
    return ResponseClock(
        kind=ClockKind.VOLUNTARY_TARGET,
        started_at=received_at,
        deadline=deadline,
        reminders=reminders,
        finding=finding(
            RuleId.SOSA_VOLUNTARY_TARGET,
            f"The partner's response target is {span}, until {deadline.isoformat()}. It drives "
            "reminders and escalation to the liaison; it is not a legal deadline.",
        ),
    )


_WORKING_DAY_RULE = {
    Level.DO: RuleId.DPAS_700_13_D1_DO_15_WORKING_DAYS,
    Level.DX: RuleId.DPAS_700_13_D1_DX_10_WORKING_DAYS,
}

Span = tuple[datetime, tuple[datetime, ...]]


def _hours_span(
    received_at: datetime, hours: int, zone: ZoneInfo, rules: ClockRules | None
) -> Span:
    """Clock hours from receipt; weekends and holidays are not skipped [U]. Reminders: at each
    fraction of the window (half-way unless a posture says more) and one day before (when that is
    still after receipt); none without `rules`."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    deadline = (received_at + timedelta(hours=hours)).astimezone(zone)
    if rules is None:
        return deadline, ()
    reminders = planned_reminders(
        started_at=received_at,
        deadline=deadline,
        days=None,
        zone=zone,
        calendar=None,
        rules=rules,
    )
    return deadline, reminders


def _working_days_span(
    received_at: datetime,
    days: int,
    zone: ZoneInfo,
    cal: WorkingCalendar,
    rules: ClockRules | None,
) -> Span:
    """Deadline at the end of working day N. Reminders at the end of working day N x f for each
    fraction f (half-way: N // 2) and of working day N - 1 (one working day before); none
    without `rules`."""
    deadline = end_of_working_day(received_at, days, zone=zone, calendar=cal)
    if rules is None:
        return deadline, ()
    reminders = planned_reminders(
        started_at=received_at, deadline=deadline, days=days, zone=zone, calendar=cal, rules=rules
    )
    return deadline, reminders


def planned_reminders(
    *,
    started_at: datetime,
    deadline: datetime,
    days: int | None,
    zone: ZoneInfo,
    calendar: WorkingCalendar | None,
    rules: ClockRules,
) -> tuple[datetime, ...]:
    """The reminder points of a clock already running (`days` working days, or clock hours
    when None), planned again with `rules` (a posture's cadence); the deadline stays."""
    if days is None:
        points = [started_at + (deadline - started_at) * f for f in rules.fractions()]
        if rules.reminder_working_days_before:
            points.append(deadline - timedelta(days=rules.reminder_working_days_before))
        return _ordered(points, started_at, deadline, zone)
    if calendar is None:
        raise ValueError("a working-day clock needs its calendar")
    if started_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    day0 = started_at.astimezone(zone).date()
    planned = _working_day_points(day0, days, zone, calendar, rules)
    if planned and not started_at < planned[0] <= planned[-1] < deadline:  # in order: the ends
        planned = tuple(p for p in planned if started_at < p < deadline)
    return planned


@lru_cache(maxsize=1024)
def _working_day_points(
    day0: date, days: int, zone: ZoneInfo, calendar: WorkingCalendar, rules: ClockRules
) -> tuple[datetime, ...]:
    """The reminder points of a clock of `days` working days started on the local day `day0`,
    earliest first, each at the end of its working day (`end_of_working_day`): the same for
    every request received that day, so made once for them (a function of its arguments only;
    `planned_reminders` keeps those between the clock's start and its deadline)."""
    counts = [int(days * f) for f in rules.fractions()]
    if rules.reminder_working_days_before:
        counts.append(days - rules.reminder_working_days_before)
    return tuple(
        sorted(
            {
                datetime.combine(calendar.add_working_days(day0, n), _END_OF_DAY, tzinfo=zone)
                for n in counts
                if n > 0
            }
        )
    )


def _ordered(
    points: list[datetime], start: datetime, deadline: datetime, zone: ZoneInfo
) -> tuple[datetime, ...]:
    """Distinct points strictly between start and deadline, earliest first, in supplier time."""
    return tuple(sorted({p.astimezone(zone) for p in points if start < p < deadline}))


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat()
