"""Working days: Monday-Friday minus observed 5 USC 6103 holidays and configured closures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sosa.rules import WorkingCalendar
from sosa.rules.working_days import inauguration_day

US = WorkingCalendar.us_federal()

# Rulebook section 8.2: observed federal holidays, checked by script.
OBSERVED = {
    2024: "01-01 01-15 02-19 05-27 06-19 07-04 09-02 10-14 11-11 11-28 12-25",
    2025: "01-01 01-20 02-17 05-26 06-19 07-04 09-01 10-13 11-11 11-27 12-25",
    2026: "01-01 01-19 02-16 05-25 06-19 07-03 09-07 10-12 11-11 11-26 12-25",
    2027: "01-01 01-18 02-15 05-31 06-18 07-05 09-06 10-11 11-11 11-25 12-24 12-31",
    2028: "01-17 02-21 05-29 06-19 07-04 09-04 10-09 11-10 11-23 12-25",  # 1 Jan observed 2027
}


@pytest.mark.parametrize("year", sorted(OBSERVED))
def test_5_usc_6103_observed_holidays_are_not_working_days(year: int) -> None:
    observed = {date.fromisoformat(f"{year}-{md}") for md in OBSERVED[year].split()}
    weekdays = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    off = {d for d in weekdays if d.year == year and d.weekday() < 5 and not US.is_working_day(d)}
    assert off == observed


@pytest.mark.parametrize(
    ("actual", "observed"),
    [
        ("2026-07-04", "2026-07-03"),
        ("2027-06-19", "2027-06-18"),
        ("2027-07-04", "2027-07-05"),
        ("2027-12-25", "2027-12-24"),
        ("2028-01-01", "2027-12-31"),
        ("2028-11-11", "2028-11-10"),
    ],
    ids=[
        "saturday-to-friday",
        "juneteenth-saturday",
        "sunday-to-monday",
        "christmas-saturday",
        "new-year-2028-observed-in-2027",
        "veterans-day-saturday",
    ],
)
def test_5_usc_6103_b_weekend_holiday_observed_on_weekday(actual: str, observed: str) -> None:
    assert not US.is_working_day(date.fromisoformat(observed))
    assert not US.is_working_day(date.fromisoformat(actual))  # a weekend day anyway


def test_working_day_extra_closures_are_configurable() -> None:
    christmas_eve = date(2026, 12, 24)
    assert US.is_working_day(christmas_eve)
    assert not WorkingCalendar.us_federal(extra_closures=[christmas_eve]).is_working_day(
        christmas_eve
    )


def test_5_usc_6103_c_inauguration_day_is_configurable() -> None:
    assert inauguration_day(2029) == date(2029, 1, 20)  # a Saturday: no day off in lieu
    assert inauguration_day(2041) == date(2041, 1, 21)  # 20 Jan 2041 is a Sunday
    assert inauguration_day(2030) is None
    assert inauguration_day(1961) is None
    thursday = date(2033, 1, 20)
    assert US.is_working_day(thursday)
    assert not WorkingCalendar.us_federal(include_inauguration_day=True).is_working_day(thursday)


def test_working_day_count_skips_weekends_and_holidays() -> None:
    assert US.add_working_days(date(2026, 7, 2), 1) == date(2026, 7, 6)  # skips Fri 3 Jul observed
    assert US.add_working_days(date(2026, 7, 4), 0) == date(
        2026, 7, 4
    )  # day 0 is the day of receipt
    with pytest.raises(ValueError, match="out of range"):
        US.add_working_days(date(2026, 7, 4), -1)


def test_working_day_partner_calendar_uses_its_weekend() -> None:
    israel = WorkingCalendar.for_country("IL")
    assert not israel.is_working_day(date(2026, 6, 26))  # Friday
    assert israel.is_working_day(date(2026, 6, 28))  # Sunday
    with pytest.raises(ValueError, match="no holiday calendar"):
        WorkingCalendar.for_country("XX")


def test_working_day_calendar_without_working_days_fails_loudly() -> None:
    never = WorkingCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError, match="no working days"):
        never.add_working_days(date(2026, 1, 1), 1)
