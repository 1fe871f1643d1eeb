"""The `limit` of the figures by program or item (#24): the first rows in the figure's order,
each concentration row with its largest shares and how many suppliers it has in all; JSON
answers 100 rows by default, the CSV export every row."""

from __future__ import annotations

from sosa.intake.api import analytics


def test_a_row_keeps_its_largest_shares_and_says_how_many_suppliers_it_has() -> None:
    row = {"key": "A3", "total": 10, "shares": {"b": 0.2, "a": 0.2, "c": 0.5, "d": 0.1}, "hhi": 0}
    limited = analytics._limited(row, 2)
    assert limited["shares"] == {"c": 0.5, "a": 0.2}  # largest first, ties by name
    assert limited["suppliers"] == 4
    assert analytics._limited(row, None) is row
    gap = {"key": "A3", "requests": 3, "accepting": ["a"]}
    assert analytics._limited(gap, 1) is gap  # a gap lists at most one supplier


def test_json_answers_a_hundred_rows_by_default_and_csv_every_row() -> None:
    assert analytics._rows_for("json", None) == analytics.DEFAULT_LIMIT == 100
    assert analytics._rows_for("csv", None) is None
    assert analytics._rows_for("csv", 7) == 7
    assert analytics._rows_for("json", 7) == 7
