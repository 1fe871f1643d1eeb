"""Properties that must hold for every input (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sosa.rules import (
    CATALOG,
    RULESET_VERSION,
    EmergencyPreparedness,
    Outcome,
    PriorityRequest,
    Rating,
    Requester,
    RequesterKind,
    ScheduledOrder,
    Supplier,
    WorkingCalendar,
    decide_submission,
    response_clock,
    work_order,
)

from .builders import CERTIFICATION, EP_STATEMENT

ZONES = ["America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Asia/Kolkata", "UTC"]
instants = st.datetimes(
    min_value=datetime(2023, 1, 1),  # naive bounds; timezones= makes them aware
    max_value=datetime(2030, 12, 31),
    timezones=st.just(UTC),
)
ratings = st.sampled_from(["DO-A1", "DX-A2", "DOA3", "DX-G2", "DO-N1", "DO-P1"]).map(Rating.parse)
closures = st.lists(st.dates(min_value=date(2023, 1, 1), max_value=date(2031, 6, 30)), max_size=8)
zones = st.sampled_from(ZONES).map(ZoneInfo)
PROPERTY = settings(deadline=None, max_examples=60)  # per test: never touch the global profile


@PROPERTY
@given(rating=ratings, received=instants, zone=zones, extra=closures)
def test_property_deadline_is_always_the_end_of_a_working_day(
    rating: Rating, received: datetime, zone: ZoneInfo, extra: list[date]
) -> None:
    calendar = WorkingCalendar.us_federal(extra_closures=extra)
    clock = response_clock(rating=rating, received_at=received, zone=zone, calendar=calendar)
    local = clock.deadline.astimezone(zone)
    assert calendar.is_working_day(local.date())
    assert (local.hour, local.minute, local.second) == (23, 59, 59)
    assert clock.deadline > received
    assert all(received < r < clock.deadline for r in clock.reminders)


@PROPERTY
@given(
    rating=ratings,
    received=instants,
    zone=zones,
    extra=closures,
    holiday=st.dates(date(2023, 1, 1), date(2031, 6, 30)),
)
def test_property_adding_a_holiday_never_makes_a_deadline_earlier(
    rating: Rating, received: datetime, zone: ZoneInfo, extra: list[date], holiday: date
) -> None:
    before = WorkingCalendar.us_federal(extra_closures=extra)
    after = WorkingCalendar.us_federal(extra_closures=[*extra, holiday])
    d1 = response_clock(rating=rating, received_at=received, zone=zone, calendar=before).deadline
    d2 = response_clock(rating=rating, received_at=received, zone=zone, calendar=after).deadline
    assert d2 >= d1


@PROPERTY
@given(
    rating=ratings, first=instants, gap=st.timedeltas(timedelta(0), timedelta(days=40)), zone=zones
)
def test_property_later_receipt_never_gives_earlier_deadline(
    rating: Rating, first: datetime, gap: timedelta, zone: ZoneInfo
) -> None:
    calendar = WorkingCalendar.us_federal()
    d1 = response_clock(rating=rating, received_at=first, zone=zone, calendar=calendar).deadline
    d2 = response_clock(
        rating=rating, received_at=first + gap, zone=zone, calendar=calendar
    ).deadline
    assert d2 >= d1


@PROPERTY
@given(received=instants, zone=zones)
def test_property_dx_deadline_always_before_do(received: datetime, zone: ZoneInfo) -> None:
    calendar = WorkingCalendar.us_federal()
    do = response_clock(
        rating=Rating.parse("DO-A1"), received_at=received, zone=zone, calendar=calendar
    )
    dx = response_clock(
        rating=Rating.parse("DX-A1"), received_at=received, zone=zone, calendar=calendar
    )
    assert dx.deadline < do.deadline


scheduled_orders = st.lists(
    st.builds(
        ScheduledOrder,
        order_id=st.uuids().map(str),
        rating=st.one_of(st.none(), ratings),
        required_delivery_date=st.dates(date(2026, 1, 1), date(2026, 3, 1)),
        received_at=instants,
    ),
    max_size=25,
)


@PROPERTY
@given(orders=scheduled_orders)
def test_property_dx_never_sorts_after_do(orders: list[ScheduledOrder]) -> None:
    ranks = [o.rank for o in work_order(orders).orders]
    assert ranks == sorted(ranks, reverse=True)
    plan = work_order(orders).orders
    for earlier, later in pairwise(plan):
        if earlier.rank == later.rank:
            assert earlier.required_delivery_date <= later.required_delivery_date
            if earlier.required_delivery_date == later.required_delivery_date:
                assert earlier.received_at <= later.received_at


@PROPERTY
@given(orders=scheduled_orders)
def test_property_work_order_ignores_input_order(orders: list[ScheduledOrder]) -> None:
    assert work_order(orders) == work_order(list(reversed(orders)))


requesters = st.builds(
    Requester,
    kind=st.sampled_from(RequesterKind),
    country=st.sampled_from(["US", "IN", "GB", "BR", "us", "CA"]),
    party_id=st.just("requester-1"),
)
suppliers = st.builds(
    Supplier,
    country=st.sampled_from(["US", "IN", "DE", "BR", "XX"]),
    code_of_conduct_signatory=st.one_of(st.none(), st.booleans()),
    timezone=st.sampled_from([*ZONES, "Nowhere/City"]),
    party_id=st.just("supplier-1"),
)
emergencies = st.one_of(
    st.none(),
    st.builds(
        EmergencyPreparedness,
        hours=st.one_of(st.none(), st.integers(0, 200)),
        hazard=st.sampled_from(["occurred", "imminent", "storm"]),
        statement=st.one_of(
            st.none(), st.integers(1, 100).map(lambda h: EP_STATEMENT.format(hours=h))
        ),
    ),
)
requests = st.builds(
    PriorityRequest,
    request_id=st.just("req-p"),
    requester=requesters,
    supplier=suppliers,
    rating=st.one_of(
        st.none(), st.sampled_from(["DO-A1", "DX-A2", "DO-Z9", "rush", "DOA3", "DO-G2"])
    ),
    required_delivery_dates=st.lists(
        st.sampled_from(["2026-09-01", "ASAP", "2026-02-30", "2027-01-15", " "]), max_size=3
    ).map(tuple),
    authorized_signer=st.one_of(st.none(), st.just("J. Doe")),
    certification_statement=st.one_of(st.none(), st.just(CERTIFICATION), st.just("please hurry")),
    received_at=instants,
    emergency_preparedness=emergencies,
)


@PROPERTY
@given(request=requests)
def test_property_same_input_same_decision(request: PriorityRequest) -> None:
    first, second = decide_submission(request), decide_submission(request)
    assert first == second
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())


@PROPERTY
@given(request=requests)
def test_property_every_decision_is_explained_and_versioned(request: PriorityRequest) -> None:
    decision = decide_submission(request)
    assert decision.ruleset_version == RULESET_VERSION
    assert decision.findings
    for f in decision.findings:
        assert f.citation == CATALOG[f.rule_id].citation
        assert f.reason.strip()
    blocked = any(f.blocking for f in decision.findings)
    assert blocked == (decision.outcome is Outcome.REJECTED)
    if decision.outcome is Outcome.DPAS_RATED_ORDER:
        assert decision.deadline is not None
        assert decision.deadline > request.received_at
        assert decision.rating is not None
        assert decision.required_delivery_dates
