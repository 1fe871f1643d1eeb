"""A running response clock planned again under the posture now in force: what the router does
for every open request when a posture changes (its deadline never moves)."""

from __future__ import annotations

from datetime import time

from sosa import rules
from sosa.decisions.config import RulesConfig
from sosa.rules.deadlines import zone_named

_END_OF_DAY = time(23, 59, 59)


def replan(
    facts: rules.RequestFacts, postures: rules.PostureBoard, config: RulesConfig
) -> rules.Plan | None:
    """The reminders and early escalation of an open request under `postures`; None when no
    clock runs. The calendar is the clock's own: the US federal one on the DPAS paths, the
    partner's on the voluntary path. A deadline that is not the end of a working day is a
    clock-hours window (emergency preparedness, or a partner's target in hours)."""
    if facts.status is not rules.RequestStatus.ROUTED:
        return None
    if facts.clock_started_at is None or facts.deadline is None:
        return None
    zone = zone_named(facts.supplier.timezone)
    if zone is None:
        return None
    calendar = config.calendar
    if facts.path is rules.Path.VOLUNTARY:
        partner = config.registry.get(facts.partner_country or facts.supplier.country)
        if partner is not None:
            calendar = rules.WorkingCalendar.for_country(partner.calendar_country)
    hours = (
        facts.emergency_hours is not None
        or facts.deadline.astimezone(zone).timetz().replace(tzinfo=None) != _END_OF_DAY
    )
    return rules.plan(
        started_at=facts.clock_started_at,
        deadline=facts.deadline,
        hours_clock=hours,
        posture=postures.for_partner(facts.partner_country),
        zone=zone,
        calendar=calendar,
    )
