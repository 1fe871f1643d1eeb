"""The `limit` of the figures by program or item (#24): the first rows in the figure's order,
each concentration row with its largest shares and how many suppliers it has in all; JSON
answers 100 rows by default, the CSV export every row."""

from __future__ import annotations

from sosa.intake.api import analytics as api
from sosa.intake.insights.analytics import largest_shares
from sosa.intake.insights.resilience_figures import Concentration


def test_a_row_keeps_its_largest_shares_and_says_how_many_suppliers_it_has() -> None:
    row = Concentration("program", "A3", 10, {"a": 0.2, "b": 0.2, "c": 0.5, "d": 0.1}, 0.34, 4)
    limited = largest_shares(row, 2)
    assert limited.shares == {"a": 0.2, "c": 0.5}  # the largest, ties by name, in name order
    assert (limited.suppliers, limited.total, limited.hhi) == (4, 10, 0.34)
    assert largest_shares(row, 4) is row


def test_json_answers_a_hundred_rows_by_default_and_csv_every_row() -> None:
    assert api._rows_for("json", None) == api.DEFAULT_LIMIT == 100
    assert api._rows_for("csv", None) is None
    assert api._rows_for("csv", 7) == 7
    assert api._rows_for("json", 7) == 7


def test_the_streamed_export_is_the_export_written_at_once() -> None:
    """Chunks of concentration rows written by the streamed export (`_csv_chunk`, the column
    names with the first chunk only), after its two `#` lines, give the very CSV `_csv` writes
    from the whole answer, cells escaped alike."""
    rows = [
        Concentration("item", "=hyperlink(1)", 4, {"@acme": 0.75, "bharat": 0.25}, 0.625, 2),
        Concentration("item", "pump", 1, {"nihon": 1.0}, 1.0, 1),
        Concentration("item", "-gear", 2, {"acme": 0.5, "valveco": 0.5}, 0.5, 2),
    ]
    example = api.Figures.model_validate(api.RESPONSE_EXAMPLES["Figures"])
    whole = example.model_copy(update={"rows": [api._fields(r) for r in rows], "total_rows": 3})
    streamed, names = api._preamble(whole, 3), None
    for chunk in (rows[:1], [], rows[1:]):
        text, names = api._csv_chunk(chunk, names)
        streamed += text
    assert streamed == bytes(api._csv(whole).body).decode()
    assert '"\'=hyperlink(1)"' in streamed
    assert '"\'@acme"' in streamed
