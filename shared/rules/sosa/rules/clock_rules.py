"""The numbers behind the response clocks (15 CFR 700.13(d), (e)), from a data file."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from . import datafiles
from .datafiles import DataFileError, Row
from .rating import Level

DATA_FILE = "clock_rules.json"


class Hazard(StrEnum):
    """What an emergency-preparedness order responds to (15 CFR 700.13(e))."""

    OCCURRED = "occurred"
    IMMINENT = "imminent"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockRules:
    """Working days per level, emergency-preparedness minimum hours, reminder points."""

    do_working_days: int
    dx_working_days: int
    occurred_minimum_hours: int
    imminent_minimum_hours: int
    half_way_reminder: bool = True
    reminder_fractions: tuple[float, ...] = ()
    """More reminder points, as fractions of the window (a posture's cadence)."""
    reminder_working_days_before: int = 1

    def fractions(self) -> tuple[float, ...]:
        """Every reminder point before the last day, as a fraction of the window."""
        half = (0.5,) if self.half_way_reminder else ()
        return tuple(sorted({*half, *self.reminder_fractions}))

    @classmethod
    def default(cls) -> ClockRules:
        """The packaged `data/clock_rules.json` (15 / 10 working days; 6 h / 12 h minimums)."""
        return _default()

    @classmethod
    def from_dict(cls, data: Row) -> ClockRules:
        """Build from a mapping shaped like `data/clock_rules.json`."""
        days = _required(data, "working_days")
        hours = _required(data, "emergency_minimum_hours")
        reminders = datafiles.section(data, "reminders") or {}
        before = datafiles.optional_int(reminders, "working_days_before")
        return cls(
            do_working_days=_positive(days, "DO"),
            dx_working_days=_positive(days, "DX"),
            occurred_minimum_hours=_positive(hours, "occurred"),
            imminent_minimum_hours=_positive(hours, "imminent"),
            half_way_reminder=datafiles.flag(reminders, "half_way", default=True),
            reminder_working_days_before=1 if before is None else before,
        )

    def working_days_for(self, level: Level) -> int:
        """15 CFR 700.13(d)(1): 15 working days for DO, 10 for DX."""
        return self.dx_working_days if level is Level.DX else self.do_working_days

    def minimum_hours_for(self, hazard: Hazard) -> int:
        """15 CFR 700.13(e): at least 6 h for a hazard that occurred, 12 h for an imminent one."""
        if hazard is Hazard.OCCURRED:
            return self.occurred_minimum_hours
        return self.imminent_minimum_hours


def _required(data: Row, key: str) -> Row:
    value = datafiles.section(data, key)
    if value is None:
        raise DataFileError(f"{key!r} is required")
    return value


def _positive(data: Row, key: str) -> int:
    value = datafiles.optional_int(data, key)
    if not value:
        raise DataFileError(f"{key!r} must be a positive integer")
    return value


@cache
def _default() -> ClockRules:
    return ClockRules.from_dict(datafiles.load(DATA_FILE))
