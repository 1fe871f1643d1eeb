"""decide_submission: the path, the rated-order elements and the response clock of a new request."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from .clock_rules import ClockRules
from .deadlines import response_clock, voluntary_clock
from .decision import Authority, Decision, Finding, Outcome, Path, finding
from .elements import check_delivery_dates, check_elements, past_delivery_dates
from .instants import require_aware
from .partners import Partner, PartnerRegistry
from .paths import PathChoice, choose_path
from .posture import PostureBoard, PostureInForce, under_posture, voluntary_target_note
from .priority_request import PriorityRequest
from .rule_ids import RuleId
from .schedule_i import ScheduleI
from .voluntary import no_target_note, relay_notes
from .working_days import WorkingCalendar


def decide_submission(
    request: PriorityRequest,
    *,
    registry: PartnerRegistry | None = None,
    calendar: WorkingCalendar | None = None,
    schedule: ScheduleI | None = None,
    rules: ClockRules | None = None,
    postures: PostureBoard | None = None,
) -> Decision:
    """Route a new request and check it against the rules of its path.

    DPAS: every 15 CFR 700.12 element, then the 700.13(d)/(e) clock from receipt.
    DPAS via SOSA: the elements except the rating (Commerce authorizes it), then
    AWAITING_DETERMINATION. Voluntary: the Code-of-Conduct notes and the partner's target.
    No arrangement, or a missing or bad element: REJECTED, with each cited reason.
    Under `postures` (SOSA: peacetime, emergency, armed conflict) the decision names the
    posture in force for the request's partner (or the global one), whose reminder cadence and
    voluntary target it takes; the DPAS limits of 15 CFR 700.13(d), (e) do not change.
    """
    require_aware(request.received_at, "received_at")
    choice = choose_path(request, registry=registry or PartnerRegistry.default())
    base: dict[str, Any] = {
        "request_id": request.request_id,
        "outcome": Outcome.REJECTED,
        "path": choice.path,
        "findings": choice.findings,
        "partner_country": choice.partner.country if choice.partner else None,
        "liaison": choice.partner.liaison.party_id if choice.partner else None,
    }
    posture = postures.for_partner(base["partner_country"]) if postures else None
    if choice.path is Path.NONE or choice.zone is None:
        if posture is not None:
            base["findings"] = (*choice.findings, posture.finding())
        return Decision(**base)
    calendar = calendar or WorkingCalendar.us_federal()
    if choice.path is Path.VOLUNTARY and choice.partner is not None:
        return _voluntary(request, base, choice.partner, choice.zone, rules, posture)
    fields = _rated(
        request, base, choice, choice.zone, calendar, schedule, rules, posture is not None
    )
    if posture is not None:  # the decision built once, its clock planned under the posture
        fields |= under_posture(
            fields["findings"],
            fields.get("clock_started_at"),
            fields.get("deadline"),
            posture,
            zone=choice.zone,
            calendar=calendar,
            hours_clock=fields["emergency_hours"] is not None,
        )
    return Decision(**fields)


def _rated(
    request: PriorityRequest,
    base: dict[str, Any],
    choice: PathChoice,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    schedule: ScheduleI | None,
    rules: ClockRules | None,
    under_a_posture: bool,
) -> dict[str, Any]:
    """DPAS, or DPAS via SOSA: the elements, then the clock or the wait for DoD; the fields of
    the decision, built once by the caller. Under a posture the clock's reminder points are
    left to it (`posture.under_posture`), not planned twice."""
    elements = check_elements(
        request,
        schedule=schedule or ScheduleI.default(),
        rules=rules or ClockRules.default(),
        with_rating=choice.path is Path.DPAS,
    )
    today = request.received_at.astimezone(zone).date()
    findings = (
        *choice.findings,
        *_authorization_note(choice, request.rating),
        *elements.findings,
        *past_delivery_dates(elements.dates, today=today),
    )
    checked: dict[str, Any] = base | {
        "findings": findings,
        "rating": elements.rating,
        "required_delivery_dates": elements.dates,
        "emergency_hours": elements.emergency_hours,
    }
    if not elements.complete:
        return checked
    if choice.path is Path.DPAS_VIA_SOSA or elements.rating is None:
        return checked | {
            "outcome": Outcome.AWAITING_DETERMINATION,
            "awaiting": Authority.DOD_PROGRAM_DETERMINATION,
        }
    clock = response_clock(
        rating=elements.rating,
        received_at=request.received_at,
        zone=zone,
        calendar=calendar,
        emergency_hours=elements.emergency_hours,
        hazard=elements.hazard,
        rules=rules,
        with_reminders=not under_a_posture,
    )
    return checked | {
        "findings": (*findings, clock.finding),
        "outcome": Outcome.DPAS_RATED_ORDER,
        "clock": clock.kind,
        "clock_started_at": clock.started_at,
        "deadline": clock.deadline,
        "reminders": clock.reminders,
    }


def _authorization_note(choice: PathChoice, proposed: str | None) -> tuple[Finding, ...]:
    """A partner's request to a US supplier: the rating it proposes is not the one that counts."""
    if choice.path is not Path.DPAS_VIA_SOSA or not proposed or not proposed.strip():
        return ()
    return (
        finding(
            RuleId.SOSA_RATING_AWAITS_AUTHORIZATION,
            f"The partner proposes {proposed.strip()!r}; the rating of its request is the one "
            "Commerce authorizes (15 CFR 700.57(a), 700.51), not the one proposed.",
        ),
    )


def _voluntary(
    request: PriorityRequest,
    base: dict[str, Any],
    partner: Partner,
    zone: ZoneInfo,
    rules: ClockRules | None,
    posture: PostureInForce | None,
) -> Decision:
    """A voluntary request through the partner's liaison (Code of Conduct; a DPAS rating has no
    force abroad, 15 CFR 700.57(a)), with its target clock if it has one (a posture may set a
    tighter target, or one where the partner has none). The decision is built once, as the
    rated path's is: under a posture the clock's reminder points and early escalation are the
    posture's alone (`posture.under_posture`, on the partner's calendar), not planned twice."""
    dates, _ = check_delivery_dates(request.required_delivery_dates)
    today = request.received_at.astimezone(zone).date()
    findings = (
        *base["findings"],
        *relay_notes(request, partner),
        *past_delivery_dates(dates, today=today),  # in the supplier's zone (`elements`)
    )
    fields: dict[str, Any] = base | {
        "outcome": Outcome.VOLUNTARY_REQUEST,
        "required_delivery_dates": dates,
    }
    target = partner.response_target
    notes = []
    if posture is not None:
        target = posture.settings.voluntary_target(partner.response_target)
        if target is not None and target != partner.response_target:
            notes.append(voluntary_target_note(posture, target.working_days or 0))
    calendar = WorkingCalendar.for_country(partner.calendar_country)
    if target is None:
        fields["findings"] = (*findings, no_target_note(partner))
    else:
        clock = voluntary_clock(
            target,
            received_at=request.received_at,
            zone=zone,
            calendar=calendar,
            rules=rules,
            with_reminders=posture is None,
        )
        fields |= {
            "findings": (*findings, clock.finding, *notes),
            "clock": clock.kind,
            "clock_started_at": clock.started_at,
            "deadline": clock.deadline,
            "reminders": clock.reminders,
        }
    if posture is not None:
        fields |= under_posture(
            fields["findings"],
            fields.get("clock_started_at"),
            fields.get("deadline"),
            posture,
            zone=zone,
            calendar=calendar,
            hours_clock=target is not None and target.hours is not None,
        )
    return Decision(**fields)
