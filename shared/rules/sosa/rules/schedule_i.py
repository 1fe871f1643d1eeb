"""Schedule I to 15 CFR 700: the approved programs and their symbols, from a data file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from . import datafiles
from .datafiles import DataFileError, Row

DATA_FILE = "schedule_i.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    """One Schedule I row, or one other Resource Department's symbol ("Other Programs")."""

    symbol: str
    title: str
    agencies: tuple[str, ...]
    section: str
    provisional: bool
    """True for rows the rulebook could not confirm in the 2024 text (section 2b)."""
    commerce_authorizes: bool = False
    """Commerce is the listed agency: its written authorization comes first (15 CFR 700.51)."""
    other_department: str | None = None
    """Set for "Other Programs" symbols: the department whose priorities system it is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleI:
    """The program symbols a rating may carry. Build with `default()` or `from_dict(...)`."""

    programs: tuple[Program, ...]
    _by_symbol: Mapping[str, Program] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_symbol = {p.symbol: p for p in self.programs}
        if len(by_symbol) != len(self.programs):
            raise DataFileError("Schedule I lists a program symbol twice")
        object.__setattr__(self, "_by_symbol", by_symbol)

    @classmethod
    def default(cls) -> ScheduleI:
        """The packaged `data/schedule_i.json` (rulebook section 2)."""
        return _default()

    @classmethod
    def from_dict(cls, data: Row) -> ScheduleI:
        """Build from a mapping shaped like `data/schedule_i.json` (a service's override)."""
        programs = [_program(row) for row in datafiles.rows(data, "programs")]
        others = [_other_program(row) for row in datafiles.rows(data, "other_programs")]
        return cls(programs=tuple(programs + others))

    def lookup(self, symbol: str) -> Program | None:
        """The program for a symbol such as "A1", or None when Schedule I does not list it."""
        return self._by_symbol.get(symbol)


def _program(row: Row) -> Program:
    return Program(
        symbol=datafiles.text(row, "symbol"),
        title=datafiles.text(row, "program"),
        agencies=datafiles.texts(row, "agencies"),
        section=datafiles.text(row, "section"),
        provisional=datafiles.flag(row, "provisional"),
        commerce_authorizes=datafiles.flag(row, "commerce_authorizes"),
    )


def _other_program(row: Row) -> Program:
    department = datafiles.text(row, "department")
    return Program(
        symbol=datafiles.text(row, "symbol"),
        title=datafiles.text(row, "program"),
        agencies=(department,),
        section="other_programs",
        provisional=datafiles.flag(row, "provisional"),
        other_department=department,
    )


@cache
def _default() -> ScheduleI:
    return ScheduleI.from_dict(datafiles.load(DATA_FILE))
