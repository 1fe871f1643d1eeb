"""Response clocks: 15 CFR 700.13(d)(1) working days, 700.13(e) hours, reminders, targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sosa.rules import (
    ClockKind,
    ClockRules,
    Hazard,
    Outcome,
    PartnerRegistry,
    Rating,
    RuleId,
    WorkingCalendar,
    decide_submission,
    end_of_working_day,
    response_clock,
)
from sosa.rules.deadlines import planned_reminders

from .builders import INDIAN_FIRM, emergency, make_request, utc

NEW_YORK = ZoneInfo("America/New_York")
US = WorkingCalendar.us_federal()

# Rulebook section 8.2, worked deadline examples (receipt day = day 0).
WORKED_EXAMPLES = [
    ("2026-06-26", "DX-A1", "2026-07-13"),  # skips Jul 3
    ("2026-06-26", "DO-A1", "2026-07-20"),
    ("2026-12-18", "DX-A1", "2027-01-05"),  # skips Dec 25 and Jan 1
    ("2026-12-18", "DO-A1", "2027-01-12"),
    ("2027-12-17", "DX-A1", "2028-01-04"),  # skips Dec 24 and Dec 31
]


@pytest.mark.parametrize(
    ("received", "rating", "due"),
    WORKED_EXAMPLES,
    ids=[f"{r}-{g[:2]}" for r, g, _ in WORKED_EXAMPLES],
)
def test_700_13_d1_rulebook_worked_examples(received: str, rating: str, due: str) -> None:
    received_at = datetime.combine(date.fromisoformat(received), time(10), tzinfo=NEW_YORK)
    decision = decide_submission(make_request(rating=rating, received_at=received_at))
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert decision.deadline == datetime.combine(
        date.fromisoformat(due), time(23, 59, 59), tzinfo=NEW_YORK
    )
    assert decision.clock is ClockKind.WORKING_DAYS
    assert decision.clock_started_at == received_at


def test_700_13_d1_do_gets_15_and_dx_10_working_days() -> None:
    do = decide_submission(make_request(rating="DO-A1"))
    dx = decide_submission(make_request(rating="DX-A1"))
    assert RuleId.DPAS_700_13_D1_DO_15_WORKING_DAYS in do.rule_ids
    assert RuleId.DPAS_700_13_D1_DX_10_WORKING_DAYS in dx.rule_ids
    assert dx.deadline is not None
    assert do.deadline is not None
    assert dx.deadline < do.deadline


def test_700_13_d1_day_of_receipt_is_taken_in_supplier_local_time() -> None:
    # 03:00 UTC on Saturday 27 June is still Friday 26 June in New York: Friday's deadline.
    late_friday = decide_submission(make_request(rating="DX-A1", received_at=utc(2026, 6, 27, 3)))
    assert late_friday.deadline == datetime(2026, 7, 13, 23, 59, 59, tzinfo=NEW_YORK)
    # 23:00 UTC on Thursday 25 June is Thursday in New York but already Friday in Berlin.
    thursday_night, rating = utc(2026, 6, 25, 23), Rating.parse("DX-A1")
    berlin = ZoneInfo("Europe/Berlin")
    in_ny = response_clock(rating=rating, received_at=thursday_night, zone=NEW_YORK, calendar=US)
    in_berlin = response_clock(rating=rating, received_at=thursday_night, zone=berlin, calendar=US)
    assert in_ny.deadline == datetime(2026, 7, 10, 23, 59, 59, tzinfo=NEW_YORK)
    assert in_berlin.deadline == datetime(2026, 7, 13, 23, 59, 59, tzinfo=berlin)


def test_700_13_d1_receipt_on_a_holiday_counts_from_that_day() -> None:
    deadline = end_of_working_day(
        datetime(2026, 7, 3, 9, tzinfo=NEW_YORK), 1, zone=NEW_YORK, calendar=US
    )
    assert deadline.date() == date(2026, 7, 6)


def test_700_13_d1_extra_closure_pushes_the_deadline() -> None:
    received = datetime(2026, 12, 18, 10, tzinfo=NEW_YORK)
    closed = WorkingCalendar.us_federal(extra_closures=[date(2026, 12, 24)])
    plain = decide_submission(make_request(rating="DX-A1", received_at=received))
    with_closure = decide_submission(
        make_request(rating="DX-A1", received_at=received), calendar=closed
    )
    assert plain.deadline is not None
    assert with_closure.deadline == plain.deadline + timedelta(days=1)


def test_700_13_d1_reminders_half_way_and_one_working_day_before() -> None:
    received = datetime(2026, 6, 26, 10, tzinfo=NEW_YORK)
    dx = decide_submission(make_request(rating="DX-A1", received_at=received))
    assert [r.date() for r in dx.reminders] == [date(2026, 7, 6), date(2026, 7, 10)]  # day 5, day 9
    do = decide_submission(make_request(rating="DO-A1", received_at=received))
    assert [r.date() for r in do.reminders] == [
        date(2026, 7, 8),
        date(2026, 7, 17),
    ]  # day 7, day 14


@pytest.mark.parametrize("days", [1, 2, 5, 10, 15])
@pytest.mark.parametrize("zone", [NEW_YORK, ZoneInfo("Asia/Kolkata")])
def test_working_day_reminders_are_the_ends_of_their_working_days_whatever_the_hour(
    days: int, zone: ZoneInfo
) -> None:
    """The points of a working-day clock are made once per local day of receipt: for every
    hour of several days (a DST change and a weekend among them) they are the end of working
    day N x f and N - 1 counted from that instant, strictly before the deadline (the clock's
    own, or an earlier one given)."""
    rules = replace(ClockRules.default(), reminder_fractions=(0.25, 0.75))
    start = datetime(2026, 3, 6, 0, 30, tzinfo=UTC)  # a Friday; DST starts on the 8th in NY
    for hour in range(0, 24 * 5, 5):
        received = start + timedelta(hours=hour)
        deadline = end_of_working_day(received, days, zone=zone, calendar=US)
        counts = [int(days * f) for f in rules.fractions()] + [days - 1]
        expected = sorted(
            {end_of_working_day(received, n, zone=zone, calendar=US) for n in counts if n > 0}
        )
        for until in (deadline, end_of_working_day(received, days // 2, zone=zone, calendar=US)):
            planned = planned_reminders(
                started_at=received, deadline=until, days=days, zone=zone, calendar=US, rules=rules
            )
            assert list(planned) == [p for p in expected if received < p < until], received
        assert all(p.tzinfo is zone for p in planned)


EP_CASES = [
    ("occurred-6h", 6, "occurred", timedelta(hours=6)),
    ("imminent-12h", 12, "imminent", timedelta(hours=12)),
    ("stated-72h", 72, "imminent", timedelta(hours=72)),
]


@pytest.mark.parametrize(
    ("hours", "hazard", "span"), [c[1:] for c in EP_CASES], ids=[c[0] for c in EP_CASES]
)
def test_700_13_e_emergency_preparedness_uses_stated_clock_hours(
    hours: int, hazard: str, span: timedelta
) -> None:
    received = utc(
        2026, 7, 3, 20
    )  # a federal holiday, then a weekend: clock hours do not skip them
    decision = decide_submission(
        make_request(received_at=received, emergency_preparedness=emergency(hours, hazard))
    )
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert decision.clock is ClockKind.EMERGENCY_HOURS
    assert decision.emergency_hours == hours
    assert decision.deadline == received + span
    assert RuleId.DPAS_700_13_E_EP_HOURS in decision.rule_ids
    assert decision.reminders[0] == received + span / 2
    assert all(received < r < decision.deadline for r in decision.reminders)


def test_700_13_e_long_emergency_clock_also_reminds_a_day_before() -> None:
    received = utc(2026, 7, 1, 12)
    decision = decide_submission(
        make_request(received_at=received, emergency_preparedness=emergency(72, "imminent"))
    )
    assert decision.reminders == (received + timedelta(hours=36), received + timedelta(hours=48))


def test_700_13_e_response_clock_refuses_hours_below_minimum() -> None:
    with pytest.raises(ValueError, match="below the minimum of 6"):
        response_clock(
            rating=Rating.parse("DO-N1"),
            received_at=utc(2026, 7, 1),
            zone=NEW_YORK,
            calendar=US,
            emergency_hours=5,
            hazard=Hazard.OCCURRED,
        )


def test_700_13_e_minimum_hours_come_from_configuration() -> None:
    strict = ClockRules.from_dict(
        {
            "working_days": {"DO": 15, "DX": 10},
            "emergency_minimum_hours": {"occurred": 8, "imminent": 12},
        }
    )
    request = make_request(emergency_preparedness=emergency(6, "occurred"))
    assert decide_submission(request).outcome is Outcome.DPAS_RATED_ORDER
    assert decide_submission(request, rules=strict).outcome is Outcome.REJECTED


def _registry_with_target(target: dict[str, int]) -> PartnerRegistry:
    return PartnerRegistry.from_dict(
        {
            "partners": [
                {
                    "country": "IN",
                    "name": "India",
                    "signed": "2024-08-22",
                    "liaison": {"party_id": "liaison-in", "office": "India MoD"},
                    "response_target": target,
                }
            ]
        }
    )


def test_sosa_voluntary_target_in_partner_working_days() -> None:
    registry = _registry_with_target({"working_days": 5})
    received = utc(2026, 8, 10, 6)  # Monday; 15 Aug (Sat) is India's Independence Day
    decision = decide_submission(
        make_request(supplier=INDIAN_FIRM, received_at=received), registry=registry
    )
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    assert decision.clock is ClockKind.VOLUNTARY_TARGET
    assert decision.deadline == datetime(2026, 8, 17, 23, 59, 59, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert RuleId.SOSA_VOLUNTARY_TARGET in decision.rule_ids
    assert RuleId.SOSA_VOLUNTARY_NO_TARGET not in decision.rule_ids


def test_sosa_voluntary_target_in_hours() -> None:
    registry = _registry_with_target({"hours": 48})
    received = utc(2026, 8, 10, 6)
    decision = decide_submission(
        make_request(supplier=INDIAN_FIRM, received_at=received), registry=registry
    )
    assert decision.deadline == received + timedelta(hours=48)
    assert decision.clock is ClockKind.VOLUNTARY_TARGET


def test_sosa_voluntary_without_target_has_no_clock() -> None:
    decision = decide_submission(make_request(supplier=INDIAN_FIRM))
    assert decision.deadline is None
    assert decision.reminders == ()
    assert RuleId.SOSA_VOLUNTARY_NO_TARGET in decision.rule_ids


def test_deadline_helpers_need_aware_instants() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        end_of_working_day(datetime(2026, 7, 1), 1, zone=NEW_YORK, calendar=US)
