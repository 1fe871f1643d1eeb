"""Instants and dates a contract accepts: timezone-aware, and within years SANE_YEARS.

Python's datetime can hold year 1 with an offset of +14:00, but cannot convert it to UTC
(OverflowError), and PostgreSQL refuses what Python accepts at the other end. A value outside
1900-2200 is no real procurement date in any case: every message and query parameter that carries
a time uses these types, so that such a value is refused where it enters (a 422 naming the field
at the API, a dead letter on a topic) instead of failing deep inside a service.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime

FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2200
SANE_YEARS: Final = range(FIRST_YEAR, LAST_YEAR + 1)


def check_instant(value: datetime) -> datetime:
    """`value` itself when it is aware and its UTC year is within SANE_YEARS; else ValueError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a UTC offset (for example 2027-03-01T09:00:00+00:00)")
    if value.year not in SANE_YEARS:
        raise ValueError(f"year {value.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} cannot be converted to UTC") from exc
    if in_utc.year not in SANE_YEARS:
        raise ValueError(f"year {in_utc.year} (UTC) is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def check_date(value: date) -> date:
    """`value` itself when its year is within SANE_YEARS; else ValueError."""
    if value.year not in SANE_YEARS:
        raise ValueError(f"year {value.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]
"""A timezone-aware datetime between the years 1900 and 2200 (UTC)."""

CalendarDate = Annotated[date, AfterValidator(check_date)]
"""A date between the years 1900 and 2200."""
