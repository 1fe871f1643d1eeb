"""CSV injection (OWASP): a text cell a spreadsheet would read as a formula is escaped with a
leading single quote and quoted; other text is quoted; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sosa.infra.csv_cells import safe_cell, write_rows


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),  # DDE
        ("Periscope mast seal", "Periscope mast seal"),
        ("a=b", "a=b"),  # only the first character counts
        (" =1", " =1"),
        ("'=1", "'=1"),  # already text to a spreadsheet
        ("", ""),
        (3, 3),
        (-31, -31),  # a computed number, not a party's text
        (0.5, 0.5),
        (None, None),
        (True, True),
    ],
)
def test_a_cell_starting_like_a_formula_is_escaped(value: Any, cell: Any) -> None:
    assert safe_cell(value) == cell


def test_rows_are_written_with_every_text_cell_quoted() -> None:
    out = io.StringIO()
    write_rows(out, ["key", "requests", "days"], [
        {"key": "=1+2", "requests": 3, "days": -4},
        {"key": 'say "hi", @you', "requests": 1, "days": 0.5},
    ])  # fmt: skip
    text = out.getvalue()
    assert text.splitlines() == [
        '"key","requests","days"',
        '"\'=1+2",3,-4',
        '"say ""hi"", @you",1,0.5',
    ]
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][0] == "'=1+2"
    assert not any(
        c.startswith(("=", "+", "-", "@", "\t", "\r")) for row in parsed for c in row[:1]
    )


def test_an_export_written_in_parts_is_the_export_written_at_once() -> None:
    """A streamed export writes the header with its first part only; its later parts' cells are
    escaped the same way."""
    rows = [{"key": "=HYPERLINK(1)", "n": 1}, {"key": "pump", "n": -2}, {"key": "@x", "n": 0.5}]
    whole, parts = io.StringIO(), io.StringIO()
    write_rows(whole, ["key", "n"], rows)
    write_rows(parts, ["key", "n"], rows[:1])
    write_rows(parts, ["key", "n"], rows[1:], header=False)
    assert parts.getvalue() == whole.getvalue()
    assert list(csv.reader(io.StringIO(parts.getvalue())))[1:] == [
        ["'=HYPERLINK(1)", "1"],
        ["pump", "-2"],
        ["'@x", "0.5"],
    ]
