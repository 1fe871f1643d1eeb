"""`sosa analytics` prints a figure's rows as an aligned table: shares and rates as
percentages, lists joined, `-` where nothing was counted."""

from __future__ import annotations

from sosa.ops.figures_table import table


def test_concentration_rows_show_each_supplier_s_share() -> None:
    lines = table(
        [
            {
                "dimension": "program",
                "key": "A3",
                "total": 4,
                "shares": {"acme": 0.75, "nihon": 0.25},
                "hhi": 0.625,
            },
            {
                "dimension": "program",
                "key": "B1",
                "total": 12,
                "shares": {"valveco": 1.0},
                "hhi": 1.0,
            },
        ]
    )
    assert lines[0].split() == ["dimension", "key", "total", "shares", "hhi"]
    assert "acme 75%, nihon 25%" in lines[1]
    assert lines[1].endswith("0.625")
    # numbers are right-aligned: the totals end in the column where the header's ends
    end = lines[0].index("total") + len("total")
    assert lines[1][end - 1] == "4"
    assert lines[2][end - 2 : end] == "12"


def test_rates_are_percentages_and_an_empty_rate_a_dash() -> None:
    lines = table(
        [
            {"key": "IN", "requests": 3, "overdue_rate": 0.5, "rejection_rate": None},
            {"key": "US", "requests": 10, "overdue_rate": 0.0, "rejection_rate": 0.25},
        ]
    )
    assert lines[1].split() == ["IN", "3", "50%", "-"]
    assert lines[2].split() == ["US", "10", "0%", "25%"]


def test_gaps_list_their_accepting_suppliers_or_none_and_nothing_says_so() -> None:
    lines = table([{"key": "pump", "requests": 2, "accepting": []}])
    assert lines[1].split()[-1] == "none"
    assert table([]) == ["(nothing to count)"]


def test_answer_times_read_in_a_unit_a_person_uses() -> None:
    """#26: `median_hours 0.000601` was 2.2 seconds."""
    lines = table(
        [
            {"path": "dpas", "answered": 3, "median_hours": 0.000601, "p90_hours": 0.25},
            {"path": "voluntary", "answered": 1, "median_hours": 5.54, "p90_hours": 80.0},
        ]
    )
    assert lines[1].split() == ["dpas", "3", "2.2", "s", "15", "min"]
    assert lines[2].split() == ["voluntary", "1", "5.5", "h", "3.3", "days"]
