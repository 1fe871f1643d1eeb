"""Priority ratings: DO or DX plus a program symbol, and their precedence (15 CFR 700.11)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final


class Level(StrEnum):
    """The two DPAS rating symbols, plus unrated (15 CFR 700.11)."""

    DX = "DX"
    DO = "DO"
    UNRATED = "UNRATED"


LEVEL_RANK: Final = {Level.DX: 2, Level.DO: 1, Level.UNRATED: 0}
"""15 CFR 700.11: DX takes precedence over DO, DO over unrated; equal within a level."""

DIRECTIVE_RANK: Final = 3
"""A Commerce Directive ranks above DX, DO and unrated, to the extent it states (FAR 11.603(b))."""

_HYPHENS = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212 ", "-"))
_RATING = re.compile(r"(DO|DX)-?([A-Z][0-9])")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    """A priority rating: the level symbol and the program identification symbol (e.g. DO-A1).

    The program symbol carries no priority by itself (Schedule I: equal preferential status).
    """

    level: Level
    program: str

    def __str__(self) -> str:
        return f"{self.level}-{self.program}"

    @property
    def rank(self) -> int:
        """2 for DX, 1 for DO (15 CFR 700.11)."""
        return LEVEL_RANK[self.level]

    @classmethod
    def parse(cls, text: str) -> Rating:
        """Parse a rating or raise ValueError; see `parse_rating`."""
        parsed = parse_rating(text)
        if parsed is None:
            raise ValueError(f"not a DPAS priority rating: {text!r}")
        return parsed


@lru_cache(maxsize=1024)
def parse_rating(text: str) -> Rating | None:
    """15 CFR 700.12(a)(1): a rating is DO or DX followed by a program symbol (letter + digit).

    Accepts the regulation's form (DO-A1), ERP forms without the hyphen (DOA1), lower case and
    typographic hyphens. Returns None when the text is not a rating; whether the program symbol
    is in Schedule I is a separate check. A stream's orders carry the same few ratings, so each
    text is parsed once (a bounded cache; a `Rating` cannot be changed).
    """
    normalised = text.strip().upper().translate(_HYPHENS)
    match = _RATING.fullmatch(normalised)
    if match is None:
        return None
    return Rating(level=Level(match.group(1)), program=match.group(2))


def rank_of(rating: Rating | None) -> int:
    """15 CFR 700.11 precedence: DX (2) > DO (1) > unrated (0)."""
    return 0 if rating is None else rating.rank


def outranks(a: Rating | None, b: Rating | None) -> bool:
    """True when `a` takes precedence over `b` (15 CFR 700.11; 700.14(b))."""
    return rank_of(a) > rank_of(b)
