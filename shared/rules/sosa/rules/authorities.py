"""A partner's request to a US firm: DoD's program determination, then Commerce's rating."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .clock_rules import ClockRules
from .commands import Authorization, Determination
from .deadlines import response_clock, zone_named
from .decision import Authority, Decision, Finding, Outcome, Path, finding
from .facts import RequestFacts, RequestStatus
from .instants import require_aware
from .partners import PartnerRegistry
from .posture import PostureBoard, PostureInForce, apply
from .rating import Rating
from .rating_checks import check_rating
from .rule_ids import RuleId
from .schedule_i import ScheduleI
from .working_days import WorkingCalendar

_VIA_SOSA = frozenset({Path.DPAS_VIA_SOSA})


def decide_determination(
    facts: RequestFacts,
    determination: Determination,
    *,
    now: datetime,
    entitled: str | None = None,
) -> Decision:
    """SOSA (15 CFR 700.57 by analogy): DoD first determines whether the partner's program
    qualifies for DPAS support. Approved: Commerce's authorization comes next. Denied: the
    request is rejected, with DoD's note. Only the `entitled` DoD party, when given, decides."""
    require_aware(now)
    if entitled is not None and determination.authority_party_id != entitled:
        return facts.wrong_party(
            "A program determination", determination.authority_party_id, entitled
        )
    if facts.path is not Path.DPAS_VIA_SOSA:
        return facts.wrong_path("A program determination", _VIA_SOSA)
    waiting = frozenset({RequestStatus.AWAITING_DETERMINATION})
    if facts.status not in waiting:
        return facts.wrong_state("A program determination", waiting)
    note = f" ({determination.note.strip()})" if determination.note else ""
    if not determination.approved:
        denied = finding(
            RuleId.SOSA_PROGRAM_DETERMINATION_DENIED,
            f"DoD ({determination.authority_party_id}) determined that the program does not "
            f"qualify for DPAS support{note}.",
            blocking=True,
        )
        return facts.carried(Outcome.REJECTED, [denied])
    made = finding(
        RuleId.SOSA_PROGRAM_DETERMINATION_MADE,
        f"DoD ({determination.authority_party_id}) determined that the program qualifies{note}; "
        "Commerce must now authorize a DPAS rating.",
    )
    decision = facts.carried(Outcome.AWAITING_AUTHORIZATION, [made])
    return replace(decision, awaiting=Authority.COMMERCE_RATING_AUTHORIZATION)


def decide_authorization(
    facts: RequestFacts,
    authorization: Authorization,
    *,
    now: datetime,
    calendar: WorkingCalendar | None = None,
    schedule: ScheduleI | None = None,
    registry: PartnerRegistry | None = None,
    rules: ClockRules | None = None,
    entitled: str | None = None,
    postures: PostureBoard | None = None,
) -> Decision:
    """15 CFR 700.57(a), 700.51: Commerce authorizes the rating that makes the partner's request
    a DPAS rated order. From then on every 700.12-700.18 rule binds the US supplier; its
    response clock starts now, when the rated order reaches it. Only the `entitled` Commerce
    party, when given, authorizes. Under `postures`, the decision names the posture in force
    for the partner and its clock takes the posture's reminders (never another limit)."""
    require_aware(now)
    if entitled is not None and authorization.authority_party_id != entitled:
        return facts.wrong_party(
            "A rating authorization", authorization.authority_party_id, entitled
        )
    if facts.path is not Path.DPAS_VIA_SOSA:
        return facts.wrong_path("A rating authorization", _VIA_SOSA)
    waiting = frozenset({RequestStatus.AWAITING_AUTHORIZATION})
    if facts.status not in waiting:
        return facts.wrong_state("A rating authorization", waiting)
    if not authorization.authorized:
        note = f" ({authorization.note.strip()})" if authorization.note else ""
        denied = finding(
            RuleId.SOSA_RATING_AUTHORIZATION_DENIED,
            f"Commerce ({authorization.authority_party_id}) did not authorize a rating{note}.",
            blocking=True,
        )
        return facts.carried(Outcome.REJECTED, [denied])
    schedule = schedule or ScheduleI.default()
    rating, notes = check_rating(authorization.rating, schedule)
    if rating is None:
        return facts.refused(*notes)
    # Commerce has just given the written authorization that note would ask for.
    notes = [n for n in notes if n.rule_id is not RuleId.SCHEDULE_I_COMMERCE_AUTHORIZATION]
    notes += _series_notes(facts, rating, schedule, registry or PartnerRegistry.default())
    posture = postures.for_partner(facts.partner_country) if postures else None
    return _rated(facts, authorization, rating, notes, now, calendar, rules, posture)


def _rated(
    facts: RequestFacts,
    authorization: Authorization,
    rating: Rating,
    notes: list[Finding],
    now: datetime,
    calendar: WorkingCalendar | None,
    rules: ClockRules | None,
    posture: PostureInForce | None,
) -> Decision:
    zone = zone_named(facts.supplier.timezone)
    if zone is None:
        raise ValueError(f"unknown supplier time zone {facts.supplier.timezone!r}")
    clock = response_clock(
        rating=rating,
        received_at=now,
        zone=zone,
        calendar=calendar or WorkingCalendar.us_federal(),
        emergency_hours=facts.emergency_hours,
        hazard=facts.hazard,
        rules=rules,
    )
    authorized = finding(
        RuleId.SOSA_RATING_AUTHORIZED,
        f"Commerce ({authorization.authority_party_id}) authorized {rating}: the request is now "
        "a DPAS rated order and the US supplier must accept or reject it under 15 CFR 700.13.",
    )
    decision = facts.carried(Outcome.DPAS_RATED_ORDER, [authorized, *notes, clock.finding])
    decision = replace(
        decision,
        rating=rating,
        clock=clock.kind,
        clock_started_at=clock.started_at,
        deadline=clock.deadline,
        reminders=clock.reminders,
        priority_effective_at=now,
    )
    if posture is None:
        return decision
    return apply(
        decision,
        posture,
        zone=zone,
        calendar=calendar or WorkingCalendar.us_federal(),
        hours_clock=facts.emergency_hours is not None,
    )


def _series_notes(
    facts: RequestFacts, rating: Rating, schedule: ScheduleI, registry: PartnerRegistry
) -> list[Finding]:
    """Schedule I: ratings for foreign nations use the D series (Canada), G series or J1 [P]."""
    partner = registry.get(facts.partner_country or facts.requester.country)
    program = schedule.lookup(rating.program)
    if partner is None or program is None or program.section in partner.rating_sections:
        return []
    expected = ", ".join(partner.rating_sections)
    return [
        finding(
            RuleId.SOSA_RATING_SERIES_UNEXPECTED,
            f"{rating.program} is a {program.section} program; ratings authorized for "
            f"{partner.name} usually come from the {expected} sections of Schedule I. "
            "Recorded for review; the authorization stands.",
        )
    ]
