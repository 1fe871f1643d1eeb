"""Changes and cancellations (15 CFR 700.16): which restart the clock, which change priority."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from .clock_rules import ClockRules
from .commands import MINOR_CHANGES, Amendment, AmendmentKind
from .deadlines import response_clock, voluntary_clock, zone_named
from .decision import Decision, Finding, Outcome, Path, finding
from .elements import check_delivery_dates
from .facts import RequestFacts, RequestStatus
from .instants import require_aware
from .partners import PartnerRegistry
from .posture import PostureBoard, PostureInForce, apply
from .rating_checks import check_rating
from .rule_ids import RuleId
from .schedule_i import ScheduleI
from .working_days import WorkingCalendar

_S = RequestStatus
AMENDABLE = frozenset({_S.ROUTED, _S.ACCEPTED, _S.COUNTER_OFFERED, _S.OVERDUE})
CANCELLABLE = AMENDABLE | {_S.AWAITING_DETERMINATION, _S.AWAITING_AUTHORIZATION}
_DPAS_PATHS = frozenset({Path.DPAS, Path.DPAS_VIA_SOSA})


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """The configuration an amendment may need (a new clock, a new rating)."""

    calendar: WorkingCalendar
    schedule: ScheduleI
    registry: PartnerRegistry
    rules: ClockRules
    posture: PostureInForce | None


def decide_amendment(
    facts: RequestFacts,
    amendment: Amendment,
    *,
    now: datetime,
    calendar: WorkingCalendar | None = None,
    schedule: ScheduleI | None = None,
    registry: PartnerRegistry | None = None,
    rules: ClockRules | None = None,
    postures: PostureBoard | None = None,
) -> Decision:
    """15 CFR 700.16: only Commerce or the party that placed the order may change or cancel it
    ((a)); a significant schedule change is a new rated order from its receipt ((c)); the
    listed minor changes are not ((d)); an upgrade takes effect from receipt of the change
    ((b)); everyone affected is told ((f)). A clock started again takes the posture in force
    (`postures`): its reminders and, on the voluntary path, its target; never a DPAS limit."""
    require_aware(now)
    allowed = CANCELLABLE if amendment.kind is AmendmentKind.CANCELLATION else AMENDABLE
    if facts.status not in allowed:
        return facts.wrong_state(f"An amendment ({amendment.kind})", allowed)
    if not (amendment.by_commerce or amendment.issued_by == facts.requester.party_id):
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_16_A_WHO_MAY_CHANGE,
                f"{amendment.issued_by} did not place this order: only the party that placed it "
                f"({facts.requester.party_id}) or Commerce may change or cancel it.",
            )
        )
    setting = Setting(
        calendar=calendar or WorkingCalendar.us_federal(),
        schedule=schedule or ScheduleI.default(),
        registry=registry or PartnerRegistry.default(),
        rules=rules or ClockRules.default(),
        posture=postures.for_partner(facts.partner_country) if postures else None,
    )
    if amendment.kind is AmendmentKind.CANCELLATION:
        return _cancel(facts)
    if facts.path is Path.VOLUNTARY:
        return _voluntary(facts, amendment, now, setting)
    if amendment.kind is AmendmentKind.RATING_CHANGE:
        return _rating_change(facts, amendment, now, setting)
    return _schedule_or_minor(facts, amendment, now, setting)


def _cancel(facts: RequestFacts) -> Decision:
    """15 CFR 700.16(e), (f): a rated order no longer needed is cancelled; suppliers are told."""
    if facts.path in _DPAS_PATHS and facts.status in AMENDABLE:
        return facts.carried(
            Outcome.CANCELLED,
            [
                finding(RuleId.DPAS_700_16_E_CANCELLED, "The rated order is cancelled."),
                _notify("cancellation"),
            ],
        )
    withdrawn = finding(RuleId.SOSA_REQUEST_WITHDRAWN, "The requester withdrew the request.")
    return facts.carried(Outcome.CANCELLED, [withdrawn])


def _schedule_or_minor(
    facts: RequestFacts, amendment: Amendment, now: datetime, setting: Setting
) -> Decision:
    """15 CFR 700.16(c): a significant schedule change is a new rated order from its receipt,
    with a new response clock; (d) the listed minor changes are not."""
    dates, problems = _new_dates(amendment)
    if problems:
        return facts.refused(*problems)
    if amendment.kind in MINOR_CHANGES:
        return _minor(facts, amendment, dates)
    zone = zone_named(facts.supplier.timezone)
    if facts.rating is None or zone is None:
        raise ValueError("a rated order's facts need its rating and the supplier's time zone")
    clock = response_clock(
        rating=facts.rating,
        received_at=now,
        zone=zone,
        calendar=setting.calendar,
        emergency_hours=facts.emergency_hours,
        hazard=facts.hazard,
        rules=setting.rules,
    )
    new_order = finding(
        RuleId.DPAS_700_16_C_NEW_RATED_ORDER,
        "The amendment significantly alters the supplier's schedule: it is a new rated order as "
        f"of its receipt ({now.isoformat()}), to be accepted or rejected again.",
    )
    decision = facts.carried(Outcome.DPAS_RATED_ORDER, [new_order, clock.finding])
    decision = replace(
        decision,
        required_delivery_dates=dates or facts.required_delivery_dates,
        clock=clock.kind,
        clock_started_at=clock.started_at,
        deadline=clock.deadline,
        reminders=clock.reminders,
    )
    if setting.posture is None:
        return decision
    hours = facts.emergency_hours is not None
    return apply(decision, setting.posture, zone=zone, calendar=setting.calendar, hours_clock=hours)


def _minor(facts: RequestFacts, amendment: Amendment, dates: tuple[date, ...]) -> Decision:
    """15 CFR 700.16(d): destination, quantity reduction, negligible increase, minor size or
    design variation before production starts, or any change both sides agree: not a new order."""
    if amendment.kind is AmendmentKind.MINOR_DESIGN_VARIATION and amendment.production_started:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_16_D4_AFTER_PRODUCTION_START,
                "A size or design variation is minor only before production starts; after "
                "that, amend it as a schedule change or as a change both sides agree.",
            )
        )
    minor = finding(
        RuleId.DPAS_700_16_D_NOT_NEW_ORDER,
        f"A {amendment.kind.replace('_', ' ')} is not a new rated order: the clock and the "
        "supplier's answer stand.",
    )
    decision = facts.carried(Outcome.AMENDED, [minor])
    return replace(decision, required_delivery_dates=dates or facts.required_delivery_dates)


def _rating_change(
    facts: RequestFacts, amendment: Amendment, now: datetime, setting: Setting
) -> Decision:
    """15 CFR 700.16(a), (b): a rating changed by written notice; an upgrade (DO to DX) gets the
    new preferential treatment from receipt of the change."""
    if facts.path is Path.DPAS_VIA_SOSA and not amendment.by_commerce:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_16_A_WHO_MAY_CHANGE,
                "Commerce authorized this partner request's rating: only Commerce may change it.",
            )
        )
    rating, notes = check_rating(amendment.new_rating, setting.schedule)
    if rating is None:
        return facts.refused(*notes)
    old = facts.rating.rank if facts.rating else 0
    rule_id = (
        RuleId.DPAS_700_16_B_PRIORITY_FROM_RECEIPT
        if rating.rank > old
        else RuleId.DPAS_700_16_A_RATING_CHANGED
    )
    changed = finding(
        rule_id,
        f"The rating changes from {facts.rating} to {rating}, effective {now.isoformat()}, "
        "when the supplier received the change.",
    )
    decision = facts.carried(Outcome.AMENDED, [changed, *notes, _notify("rating change")])
    return replace(decision, rating=rating, priority_effective_at=now)


def _voluntary(
    facts: RequestFacts, amendment: Amendment, now: datetime, setting: Setting
) -> Decision:
    """A voluntary request is amended through the liaison; a rating means nothing abroad."""
    if amendment.kind is AmendmentKind.RATING_CHANGE:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_57_A_NO_FORCE_ABROAD,
                "A priority rating has no legal authority outside the US: a voluntary request "
                "carries none to change.",
            )
        )
    dates, problems = _new_dates(amendment)
    if problems:
        return facts.refused(*problems)
    relayed = finding(
        RuleId.SOSA_VOLUNTARY_AMENDED,
        f"The {amendment.kind.replace('_', ' ')} is relayed to the firm through the liaison.",
    )
    if amendment.kind in MINOR_CHANGES:
        return facts.carried(Outcome.AMENDED, [relayed])
    decision = facts.carried(Outcome.VOLUNTARY_REQUEST, [relayed])
    decision = replace(decision, required_delivery_dates=dates or facts.required_delivery_dates)
    partner = setting.registry.get(facts.partner_country or facts.supplier.country)
    zone = zone_named(facts.supplier.timezone)
    if partner is None or zone is None:
        return decision
    target = partner.response_target
    if setting.posture is not None:
        target = setting.posture.settings.voluntary_target(target)
    if target is None:
        return decision
    calendar = WorkingCalendar.for_country(partner.calendar_country)
    clock = voluntary_clock(
        target, received_at=now, zone=zone, calendar=calendar, rules=setting.rules
    )
    decision = replace(
        decision,
        findings=(*decision.findings, clock.finding),
        clock=clock.kind,
        clock_started_at=now,
        deadline=clock.deadline,
        reminders=clock.reminders,
    )
    if setting.posture is None:
        return decision
    hours = target.hours is not None
    return apply(decision, setting.posture, zone=zone, calendar=calendar, hours_clock=hours)


def _new_dates(amendment: Amendment) -> tuple[tuple[date, ...], list[Finding]]:
    """New required delivery dates, if the amendment gives any (15 CFR 700.12(a)(2))."""
    if not amendment.new_delivery_dates:
        return (), []
    dates, findings = check_delivery_dates(amendment.new_delivery_dates)
    return dates, [f for f in findings if f.blocking]


def _notify(what: str) -> Finding:
    return finding(
        RuleId.DPAS_700_16_F_NOTIFY_SUPPLIERS,
        f"The {what} must be passed promptly to every supplier holding rated orders placed "
        "to fill this one.",
    )


def _blocking(rule_id: RuleId, reason: str) -> Finding:
    return finding(rule_id, reason, blocking=True)
