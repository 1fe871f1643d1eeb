"""Posture (peacetime, emergency, armed conflict): each value's effect, the per-partner override,
re-planning a running clock, and the DPAS limits that no posture moves (15 CFR 700.13(d), (e))."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sosa.rules import (
    GLOBAL,
    DataFileError,
    Hazard,
    Outcome,
    Path,
    Posture,
    PostureBoard,
    PostureBook,
    RequestFacts,
    RequestStatus,
    RuleId,
    WorkingCalendar,
    decide_early_escalation,
    decide_submission,
    plan,
)
from sosa.rules.datafiles import load
from sosa.rules.deadlines import voluntary_clock
from sosa.rules.decision import Decision
from sosa.rules.elements import check_delivery_dates, past_delivery_dates
from sosa.rules.partners import PartnerRegistry, ResponseTarget
from sosa.rules.paths import choose_path
from sosa.rules.posture import apply, voluntary_target_note
from sosa.rules.priority_request import PriorityRequest
from sosa.rules.voluntary import no_target_note, relay_notes

from .builders import INDIA_MOD, INDIAN_FIRM, emergency, make_request, routed, utc

BOOK = PostureBook.default()
NEW_YORK = ZoneInfo("America/New_York")
US = WorkingCalendar.us_federal()
JAPANESE_FIRM = replace(INDIAN_FIRM, country="JP", timezone="Asia/Tokyo", party_id="nihon-co")


def board(**postures: Posture) -> PostureBoard:
    """`board(global_=EMERGENCY, IN=ARMED_CONFLICT)`."""
    return PostureBoard(BOOK, {(GLOBAL if k == "global_" else k): v for k, v in postures.items()})


def everywhere(posture: Posture) -> PostureBoard:
    return board(global_=posture)


def local_days(points: tuple[datetime, ...], zone: ZoneInfo = NEW_YORK) -> list[str]:
    return [p.astimezone(zone).date().isoformat() for p in points]


def rule_ids(decision: Any) -> set[RuleId]:
    return {f.rule_id for f in decision.findings}


RATED: list[dict[str, Any]] = [
    {"rating": "DO-A1"},
    {"rating": "DX-A2"},
    {"rating": "DO-N1", "emergency_preparedness": emergency(24, "occurred")},
    {"rating": "DO-N1", "emergency_preparedness": emergency(12, "imminent")},
]
"""Rated requests: DO and DX working-day clocks, emergency-preparedness clocks of each hazard."""


# --- the limits no posture moves -------------------------------------------------------------


@pytest.mark.parametrize("posture", list(Posture))
@pytest.mark.parametrize(
    "request_kw", RATED, ids=["DO 15 working days", "DX 10 working days", "EP 24 h", "EP 12 h"]
)
def test_no_posture_moves_a_dpas_deadline(posture: Posture, request_kw: dict[str, Any]) -> None:
    request = make_request(**request_kw)
    plain = decide_submission(request)
    under = decide_submission(request, postures=everywhere(posture))
    assert plain.outcome is under.outcome is Outcome.DPAS_RATED_ORDER
    assert under.deadline == plain.deadline
    assert under.clock_started_at == plain.clock_started_at


def test_the_packaged_clock_limits_are_still_15_and_10_working_days() -> None:
    data = load("clock_rules.json")
    assert data["working_days"] == {"DO": 15, "DX": 10}
    assert data["emergency_minimum_hours"] == {"occurred": 6, "imminent": 12}
    for posture in load("postures.json")["postures"].values():
        assert not {"working_days", "emergency_minimum_hours"} & set(posture)


# --- each value's effect ----------------------------------------------------------------------

# DO-A1 received Fri 26 Jun 2026: 15 working days end Mon 20 Jul (3 July observed holiday).
REMINDERS = {
    Posture.PEACETIME: ["2026-07-08", "2026-07-17"],  # working day 7 (half-way) and 14
    Posture.EMERGENCY: ["2026-07-01", "2026-07-08", "2026-07-14", "2026-07-17"],  # 3, 7, 11, 14
    Posture.ARMED_CONFLICT: [
        "2026-07-01",  # 3
        "2026-07-07",  # 6
        "2026-07-10",  # 9
        "2026-07-15",  # 12
        "2026-07-17",  # 14
    ],
}
EARLY = {
    Posture.PEACETIME: None,
    Posture.EMERGENCY: "2026-07-17",  # one working day before
    Posture.ARMED_CONFLICT: "2026-07-16",  # two
}


@pytest.mark.parametrize("posture", list(Posture))
def test_reminder_cadence_and_early_escalation_of_each_posture(posture: Posture) -> None:
    decision = decide_submission(make_request(rating="DO-A1"), postures=everywhere(posture))
    assert decision.deadline is not None
    assert decision.deadline.date().isoformat() == "2026-07-20"
    assert local_days(decision.reminders) == REMINDERS[posture]
    early = decision.early_escalation_at
    assert (early.date().isoformat() if early else None) == EARLY[posture]


VOLUNTARY_TARGETS = [
    # partner's own target, posture -> working days of the voluntary clock (None: no clock)
    (None, Posture.PEACETIME, None),
    (None, Posture.EMERGENCY, 10),
    (None, Posture.ARMED_CONFLICT, 5),
    ({"working_days": 20}, Posture.PEACETIME, 20),
    ({"working_days": 20}, Posture.EMERGENCY, 10),
    ({"working_days": 3}, Posture.EMERGENCY, 3),  # the partner's is tighter: kept
    ({"working_days": 3}, Posture.ARMED_CONFLICT, 3),
    ({"hours": 48}, Posture.ARMED_CONFLICT, "48 h"),  # hours: the partner's own, kept
]


def registry_with_target(target: dict[str, int] | None) -> PartnerRegistry:
    row = {
        "country": "IN",
        "name": "India",
        "signed": "2024-08-22",
        "calendar_country": "IN",
        "response_target": target,
        "liaison": {"party_id": "liaison-in", "office": "India MoD"},
    }
    return PartnerRegistry.from_dict({"partners": [row]})


@pytest.mark.parametrize(("target", "posture", "expected"), VOLUNTARY_TARGETS)
def test_voluntary_target_under_each_posture(
    target: dict[str, int] | None, posture: Posture, expected: int | str | None
) -> None:
    request = make_request(supplier=INDIAN_FIRM, rating=None)
    decision = decide_submission(
        request, registry=registry_with_target(target), postures=everywhere(posture)
    )
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    if expected is None:
        assert decision.deadline is None
        assert RuleId.SOSA_VOLUNTARY_NO_TARGET in rule_ids(decision)
        return
    assert decision.deadline is not None
    if expected == "48 h":
        assert decision.deadline - request.received_at == (utc(2026, 1, 3) - utc(2026, 1, 1))
    else:
        assert isinstance(expected, int)
        zone = ZoneInfo("Asia/Kolkata")
        start = request.received_at.astimezone(zone).date()
        india = WorkingCalendar.for_country("IN")
        assert decision.deadline.date() == india.add_working_days(start, expected)
    posture_set_it = isinstance(expected, int) and (
        target is None or (target.get("working_days") or 0) > expected
    )
    assert (RuleId.SOSA_POSTURE_VOLUNTARY_TARGET in rule_ids(decision)) is posture_set_it


def test_every_posture_has_every_value_with_a_reason() -> None:
    for name, row in load("postures.json")["postures"].items():
        for key, entry in row.items():
            assert set(entry) == {"value", "why"}, f"{name}.{key}"
            assert len(entry["why"]) > 20, f"{name}.{key}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["emergency"].pop("highlight"), "highlight"),
        (lambda p: p["emergency"]["retry_interval_factor"].update(value=2), "only tighten"),
        (lambda p: p["armed_conflict"]["reminder_fractions"].update(value=[1.5]), "between"),
        (lambda p: p["peacetime"]["highlight"].update(why=""), "why"),
        (lambda p: p.pop("armed_conflict"), "missing"),
    ],
    ids=["value missing", "loosening factor", "fraction outside", "no reason", "posture missing"],
)
def test_a_bad_postures_file_is_refused(change: Any, message: str) -> None:
    import copy

    data = copy.deepcopy(dict(load("postures.json")))
    change(data["postures"])
    with pytest.raises(DataFileError, match=message):
        PostureBook.from_dict(data)


# --- per-partner override ---------------------------------------------------------------------


def test_a_partner_s_own_posture_overrides_the_global_one() -> None:
    postures = board(global_=Posture.EMERGENCY, IN=Posture.ARMED_CONFLICT)
    assert postures.for_partner("IN").posture is Posture.ARMED_CONFLICT
    assert postures.for_partner("IN").scope == "IN"
    assert postures.for_partner("JP").posture is Posture.EMERGENCY
    assert postures.for_partner("JP").scope == GLOBAL
    assert postures.for_partner(None).posture is Posture.EMERGENCY
    assert PostureBoard.peacetime().for_partner("IN").posture is Posture.PEACETIME

    india = decide_submission(make_request(supplier=INDIAN_FIRM, rating=None), postures=postures)
    japan = decide_submission(make_request(supplier=JAPANESE_FIRM, rating=None), postures=postures)
    assert "armed_conflict is in force for partner IN" in _posture_reason(india)
    assert "emergency is in force for every partner" in _posture_reason(japan)
    assert india.deadline is not None
    assert japan.deadline is not None
    assert india.deadline < japan.deadline  # 5 working days against 10


def _posture_reason(decision: Any) -> str:
    return next(f.reason for f in decision.findings if f.rule_id is RuleId.SOSA_POSTURE_IN_FORCE)


@pytest.mark.parametrize(
    "request_kw",
    [
        {"rating": "DO-A1"},
        {"requester": INDIA_MOD, "rating": None},  # DPAS via SOSA: awaits DoD
        {"supplier": INDIAN_FIRM, "rating": None},  # voluntary
        {"rating": None},  # rejected: no rating
    ],
    ids=["dpas", "dpas via sosa", "voluntary", "rejected"],
)
def test_every_submission_decision_names_the_posture(request_kw: dict[str, Any]) -> None:
    decision = decide_submission(make_request(**request_kw), postures=everywhere(Posture.EMERGENCY))
    assert "Posture emergency" in _posture_reason(decision)
    assert "15 CFR 700.13(d) and (e) are unchanged" in _posture_reason(decision)


# --- a change while requests are open ---------------------------------------------------------


@pytest.mark.parametrize("posture", list(Posture))
def test_replanning_a_running_clock_gives_what_a_new_request_would_get(posture: Posture) -> None:
    """The router re-plans open requests with `plan`: the same points as a request decided under
    the posture from the start, and the deadline untouched."""
    facts = routed(make_request(rating="DO-A1"))
    assert facts.clock_started_at is not None
    assert facts.deadline is not None
    under = decide_submission(make_request(rating="DO-A1"), postures=everywhere(posture))
    replanned = plan(
        started_at=facts.clock_started_at,
        deadline=facts.deadline,
        hours_clock=False,
        posture=everywhere(posture).for_partner(None),
        zone=NEW_YORK,
        calendar=US,
    )
    assert replanned.reminders == under.reminders
    assert replanned.early_escalation_at == under.early_escalation_at


@pytest.mark.parametrize("posture", list(Posture))
@pytest.mark.parametrize(
    "request_kw",
    [
        *RATED,
        {"certification_statement": ""},
        {"requester": INDIA_MOD, "rating": None},
        {"requester": replace(INDIA_MOD, country="BR", party_id="br-mod")},
    ],
    ids=["DO", "DX", "EP 24 h", "EP 12 h", "incomplete", "via SOSA", "no arrangement"],
)
def test_a_submission_under_a_posture_is_the_plain_decision_with_the_posture_applied(
    posture: Posture, request_kw: dict[str, Any]
) -> None:
    """A submission's decision is built once under its posture (its clock's reminders planned
    by the posture alone): the same decision as the plain one with `apply` made it."""
    request = make_request(**request_kw)
    plain = decide_submission(request)
    under = decide_submission(request, postures=everywhere(posture))
    assert under == apply(
        plain,
        everywhere(posture).for_partner(plain.partner_country),
        zone=NEW_YORK,
        calendar=US,
        hours_clock=plain.emergency_hours is not None,
    )


def test_an_hours_clock_gets_more_reminders_but_no_early_escalation() -> None:
    request = make_request(rating="DO-N1", emergency_preparedness=emergency(24, "occurred"))
    plain = decide_submission(request)
    under = decide_submission(request, postures=everywhere(Posture.ARMED_CONFLICT))
    assert len(plain.reminders) == 1  # half-way (one day before is before receipt)
    assert len(under.reminders) == 4  # every fifth
    assert under.early_escalation_at is None


def test_early_escalation_only_while_the_request_waits_before_its_deadline() -> None:
    facts = routed(make_request(rating="DO-A1"))
    posture = everywhere(Posture.EMERGENCY).for_partner(None)
    assert facts.deadline is not None
    early = decide_early_escalation(facts, posture, now=utc(2026, 7, 17, 12))
    assert early.outcome is Outcome.DPAS_RATED_ORDER  # still routed: nothing is late yet
    assert early.deadline == facts.deadline
    assert {RuleId.SOSA_POSTURE_EARLY_ESCALATION, RuleId.SOSA_POSTURE_IN_FORCE} <= rule_ids(early)
    late = decide_early_escalation(facts, posture, now=utc(2026, 7, 22))
    assert late.outcome is Outcome.REFUSED
    answered = replace(facts, status=RequestStatus.ACCEPTED)
    assert decide_early_escalation(answered, posture, now=utc(2026, 7, 17)).outcome is (
        Outcome.REFUSED
    )


def _with_targets(**targets: ResponseTarget) -> PartnerRegistry:
    """The default registry with these partners' response targets set (by country)."""
    default = PartnerRegistry.default()
    return PartnerRegistry(
        partners=tuple(
            replace(p, response_target=targets.get(p.country, p.response_target))
            for p in default.partners
        )
    )


def _voluntary_composed_step_by_step(
    request: PriorityRequest, registry: PartnerRegistry, postures: PostureBoard | None
) -> Decision:
    """A voluntary submission's decision composed as before it was built once: the relay's
    notes, the past dates, the target's clock with its own reminders, then `apply` of the
    posture (which plans the reminders again)."""
    choice = choose_path(request, registry=registry)
    assert choice.partner is not None
    assert choice.zone is not None
    partner, zone = choice.partner, choice.zone
    posture = postures.for_partner(partner.country) if postures else None
    dates, _ = check_delivery_dates(request.required_delivery_dates)
    today = request.received_at.astimezone(zone).date()
    decision = Decision(
        request_id=request.request_id,
        outcome=Outcome.VOLUNTARY_REQUEST,
        path=choice.path,
        findings=(
            *choice.findings,
            *relay_notes(request, partner),
            *past_delivery_dates(dates, today=today),
        ),
        partner_country=partner.country,
        liaison=partner.liaison.party_id,
        required_delivery_dates=dates,
    )
    target, notes = partner.response_target, []
    if posture is not None:
        target = posture.settings.voluntary_target(partner.response_target)
        if target is not None and target != partner.response_target:
            notes.append(voluntary_target_note(posture, target.working_days or 0))
    calendar = WorkingCalendar.for_country(partner.calendar_country)
    if target is None:
        decision = replace(decision, findings=(*decision.findings, no_target_note(partner)))
    else:
        clock = voluntary_clock(
            target, received_at=request.received_at, zone=zone, calendar=calendar
        )
        decision = replace(
            decision,
            findings=(*decision.findings, clock.finding, *notes),
            clock=clock.kind,
            clock_started_at=clock.started_at,
            deadline=clock.deadline,
            reminders=clock.reminders,
        )
    if posture is None:
        return decision
    hours = target is not None and target.hours is not None
    return apply(decision, posture, zone=zone, calendar=calendar, hours_clock=hours)


UK_FIRM = replace(INDIAN_FIRM, country="GB", timezone="Europe/London", party_id="uk-firm")
VOLUNTARY: dict[str, tuple[dict[str, Any], dict[str, ResponseTarget]]] = {
    "signatory, no target": ({"supplier": UK_FIRM}, {}),
    "rated, CoC pending": ({"supplier": INDIAN_FIRM, "rating": "DX-A2"}, {}),
    "unknown signatory, past date": (
        {
            "supplier": replace(JAPANESE_FIRM, code_of_conduct_signatory=None),
            "required_delivery_dates": ("2026-01-05", "2027-06-01", "as soon as possible"),
        },
        {},
    ),
    "5 working days": ({"supplier": UK_FIRM}, {"GB": ResponseTarget(working_days=5)}),
    "48 hours": ({"supplier": JAPANESE_FIRM}, {"JP": ResponseTarget(hours=48)}),
}


@pytest.mark.parametrize("posture", [None, *Posture])
@pytest.mark.parametrize("case", VOLUNTARY)
def test_a_voluntary_submission_built_once_is_the_decision_composed_step_by_step(
    posture: Posture | None, case: str
) -> None:
    """The voluntary path builds its decision once (Code of Conduct; 15 CFR 700.57(a)), the
    reminders planned by the posture alone: the same decision, finding for finding and point
    for point, as composed step by step with `apply`."""
    request_kw, targets = VOLUNTARY[case]
    request = make_request(**request_kw)
    registry = _with_targets(**targets)
    postures = everywhere(posture) if posture is not None else None
    built = decide_submission(request, registry=registry, postures=postures)
    assert built.outcome is Outcome.VOLUNTARY_REQUEST
    assert built == _voluntary_composed_step_by_step(request, registry, postures)


@pytest.mark.parametrize(
    "request_kw",
    [
        *RATED,
        {"certification_statement": ""},
        {"requester": INDIA_MOD, "rating": None},
        {"requester": replace(INDIA_MOD, country="BR", party_id="br-mod")},
        {"supplier": UK_FIRM},
        {"supplier": JAPANESE_FIRM, "emergency_preparedness": emergency(24, " Imminent ")},
    ],
    ids=["DO", "DX", "EP 24 h", "EP 12 h", "incomplete", "via SOSA", "no arrangement", "GB", "JP"],
)
@pytest.mark.parametrize("posture", [None, Posture.ARMED_CONFLICT])
def test_a_submission_s_facts_built_once_are_the_received_facts_updated(
    posture: Posture | None, request_kw: dict[str, Any]
) -> None:
    """`RequestFacts.from_submission` builds the facts once: the same facts as the received
    request's (status RECEIVED, its path, parties and hazard) `updated` by the decision."""
    request = make_request(**request_kw)
    decision = decide_submission(
        request, postures=everywhere(posture) if posture is not None else None
    )
    ep = request.emergency_preparedness
    hazard = ep.hazard.strip().lower() if ep else None
    received = RequestFacts(
        request_id=request.request_id,
        status=RequestStatus.RECEIVED,
        path=decision.path or Path.NONE,
        requester=request.requester,
        supplier=request.supplier,
        hazard=Hazard(hazard) if hazard in tuple(Hazard) else None,
    )
    assert RequestFacts.from_submission(request, decision) == received.updated(decision)
    refused = replace(decision, outcome=Outcome.REFUSED)
    assert RequestFacts.from_submission(request, refused) == received
