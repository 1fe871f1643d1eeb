"""Filters of the request list: ratings and levels, and the fingerprint that binds a cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake.views.list_filters import ListFilters, rating_filter
from sosa.intake.views.ratings import stored_rating


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DO", (None, "DO")),
        ("dx", (None, "DX")),
        (" DX ", (None, "DX")),
        ("DO-A3", ("DO-A3", None)),
        ("doa3", ("DO-A3", None)),
        ("DX\u2013A1", ("DX-A1", None)),
    ],
)
def test_a_rating_filter_is_a_level_or_one_normalised_rating(
    text: str, expected: tuple[str | None, str | None]
) -> None:
    assert rating_filter(text) == expected


@pytest.mark.parametrize("text", ["", "DZ", "DO-", "A3", "DO-A3-X", "unrated"])
def test_anything_else_is_no_rating_filter(text: str) -> None:
    with pytest.raises(ValueError, match="DO or DX"):
        rating_filter(text)


def test_stored_ratings_are_normalised_and_unreadable_ones_kept_without_level() -> None:
    assert stored_rating("do a3") == stored_rating("DO-A3")
    assert stored_rating("DOA3").level == "DO"
    assert stored_rating("ASAP").text == "ASAP"
    assert stored_rating("ASAP").level is None
    assert stored_rating(None).text is None


def test_the_fingerprint_ignores_order_and_time_zone_but_not_values() -> None:
    due = datetime(2026, 12, 20, 12, tzinfo=UTC)
    a = ListFilters(
        states=(RequestState.ROUTED, RequestState.OVERDUE), paths=(RoutePath.DPAS,), due_before=due
    )
    b = ListFilters(
        states=(RequestState.OVERDUE, RequestState.ROUTED),
        paths=(RoutePath.DPAS,),
        due_before=due.astimezone(timezone(timedelta(hours=5, minutes=30))),
    )
    assert a.key() == b.key()
    assert a.key() != ListFilters(states=(RequestState.ROUTED,)).key()
    assert ListFilters(rating="DO-A3").key() != ListFilters(rating_level="DO").key()
    assert ListFilters().key() != ListFilters(supplier="acme-valves").key()
