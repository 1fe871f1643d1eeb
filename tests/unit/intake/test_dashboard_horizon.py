"""The dashboard's due-soon horizon counts US federal working days, as the response clock does."""

from __future__ import annotations

from datetime import UTC, datetime

from sosa.intake.insights.dashboard import EASTERN
from sosa.rules import WorkingCalendar, end_of_working_day


def due_by(now: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """The horizon the dashboard's summary uses (`due_by`)."""
    return end_of_working_day(now, working_days, zone=EASTERN, calendar=calendar)


def test_three_working_days_from_christmas_eve_skip_christmas_and_the_weekend() -> None:
    now = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Thursday 24 December, 10:00 Eastern
    horizon = due_by(now, 3, WorkingCalendar.us_federal())
    # Fri 25 (Christmas), Sat, Sun do not count: Mon 28, Tue 29, Wed 30
    assert horizon == datetime(2026, 12, 30, 23, 59, 59, tzinfo=EASTERN)


def test_the_day_is_the_eastern_day_not_the_utc_one() -> None:
    late = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # still Monday 7 December in Washington
    assert due_by(late, 0, WorkingCalendar.us_federal()).date().isoformat() == "2026-12-07"
    assert due_by(late, 1, WorkingCalendar.us_federal()).date().isoformat() == "2026-12-08"
