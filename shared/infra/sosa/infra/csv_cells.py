"""CSV export safe to open in a spreadsheet (OWASP, "CSV Injection").

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`, `@SUM(...)`, DDE). Such a cell is
prefixed with a single quote, which spreadsheets show as text, and every text cell is quoted
(`csv.QUOTE_NONNUMERIC`), embedded double quotes doubled. Numbers the service computed (ints and
floats, a negative one included) are written as they are: they are data, not a party's text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value a CSV cell may carry: text that a spreadsheet would read as a formula is
    prefixed with `'`; numbers, booleans and None are left to the writer."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def writer(out: IO[str]) -> Any:
    """A CSV writer that quotes every text cell (`csv.QUOTE_NONNUMERIC`); its cells must have
    gone through `safe_cell` (`write_rows` does that)."""
    return csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")


def write_rows(
    out: IO[str],
    fieldnames: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    header: bool = True,
) -> None:
    """A header line (unless `header` is false: a later part of a streamed export) and `rows`,
    every text cell quoted and made safe by `safe_cell`."""
    lines = writer(out)
    if header:
        lines.writerow([safe_cell(name) for name in fieldnames])
    for row in rows:
        lines.writerow([safe_cell(row.get(name)) for name in fieldnames])
