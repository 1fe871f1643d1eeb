"""Working-day calendars: weekdays minus observed public holidays and configured closures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays

_SATURDAY, _SUNDAY = 5, 6
_MAX_WORKING_DAYS = 3660
"""Guard against a calendar configured with no working days at all."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkingCalendar:
    """Which days count as working days for a response clock.

    Part 700 does not define "working day" [U]. The default follows related federal definitions
    (31 CFR 802.201, 49 CFR 1312.6): Monday to Friday, not a legal public holiday of 5 USC 6103
    on its observed date (Saturday -> Friday, Sunday -> Monday), and not an executive-order
    closure. Closures and Inauguration Day (DC-area employees only) are configuration.
    """

    country: str = "US"
    extra_closures: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({_SATURDAY, _SUNDAY})
    include_inauguration_day: bool = False

    @classmethod
    def us_federal(
        cls, *, extra_closures: Iterable[date] = (), include_inauguration_day: bool = False
    ) -> WorkingCalendar:
        """US federal working days (5 USC 6103 observed holidays, from `holidays`)."""
        return cls(
            country="US",
            extra_closures=frozenset(extra_closures),
            include_inauguration_day=include_inauguration_day,
        )

    @classmethod
    def for_country(cls, country: str, *, extra_closures: Iterable[date] = ()) -> WorkingCalendar:
        """A partner country's public holidays and weekend (informational for voluntary targets)."""
        try:
            weekend = holidays.country_holidays(country).weekend
        except NotImplementedError as error:
            raise ValueError(f"no holiday calendar for country {country!r}") from error
        return cls(
            country=country, extra_closures=frozenset(extra_closures), weekend=frozenset(weekend)
        )

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is neither an observed holiday nor a configured closure."""
        if day.weekday() in self.weekend or day in self.extra_closures:
            return False
        if self.include_inauguration_day and day == inauguration_day(day.year):
            return False
        return day not in _public_holidays(self.country, day.year)

    def prepare(self, years: Iterable[int]) -> None:
        """Load the public holidays of these years now: `holidays` imports its country modules
        on first use (about a second of CPU), which a service pays before it serves rather
        than on the first request it decides."""
        for year in years:
            _public_holidays(self.country, year)

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (the day of receipt is day 0)."""
        if not 0 <= count <= _MAX_WORKING_DAYS:
            raise ValueError(f"working-day count out of range: {count}")
        return _add_working_days(self, start, count)

    def working_days_between(self, start: date, end: date) -> int:
        """N such that `end` is the N-th working day after `start` (0 when `end` is not after
        it): the inverse of `add_working_days` on working days."""
        return _working_days_between(self, start, end)


_MEMO_SIZE = 4096
"""Days remembered per question below. A stream of requests asks the same few (the day of
receipt, 15 or 10 working days, the reminder points) over and over; each answer walks the
calendar day by day, so it is worked out once per (calendar, day, count)."""


@lru_cache(maxsize=_MEMO_SIZE)
def _add_working_days(calendar: WorkingCalendar, start: date, count: int) -> date:
    day, seen = start, 0
    while seen < count:
        day += timedelta(days=1)
        if day - start > timedelta(days=_MAX_WORKING_DAYS * 7):
            raise ValueError("calendar has no working days")
        if calendar.is_working_day(day):
            seen += 1
    return day


@lru_cache(maxsize=_MEMO_SIZE)
def _working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def inauguration_day(year: int) -> date | None:
    """5 USC 6103(c): January 20 every fourth year from 1965 (the 21st if the 20th is a Sunday)."""
    if year < 1965 or (year - 1965) % 4:
        return None
    day = date(year, 1, 20)
    return day + timedelta(days=1) if day.weekday() == _SUNDAY else day


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """Observed public holidays of one year; for the US, 5 USC 6103(a) and (b)."""
    return frozenset(holidays.country_holidays(country, years=year).keys())
