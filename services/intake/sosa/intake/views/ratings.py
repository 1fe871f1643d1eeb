"""Ratings as intake stores and filters them: normalised by `sosa.rules.parse_rating`."""

from __future__ import annotations

from dataclasses import dataclass

from sosa.rules import Level, parse_rating


@dataclass(frozen=True, slots=True)
class StoredRating:
    """The `rating` and `rating_level` columns of a view row."""

    text: str | None
    level: str | None


def stored_rating(text: str | None) -> StoredRating:
    """`do a3`, `DOA3` and `DO-A3` are one rating (DO-A3, level DO). Text that is no rating is
    kept as given, without a level, so the request can still be found by what it said."""
    if text is None:
        return StoredRating(text=None, level=None)
    rating = parse_rating(text)
    if rating is None:
        return StoredRating(text=text, level=None)
    return StoredRating(text=str(rating), level=str(rating.level))


def is_level(text: str) -> bool:
    """Whether `text` names a rating level (DO or DX) rather than one rating."""
    return text.strip().upper() in {Level.DO, Level.DX}
