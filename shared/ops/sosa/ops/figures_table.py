"""A resilience figure's rows (intake's `/v1/analytics/...` JSON) as an aligned text table for
`sosa analytics`: shares as percentages per supplier, lists joined, rates as percentages, times
(`*_hours`) in the unit that reads best, and `-` where a figure has nothing to count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PERCENT_COLUMNS = frozenset({"overdue_rate", "rejection_rate"})


def duration(hours: float) -> str:
    """A time in hours as a person reads it: `2.2 s`, `14 min`, `5.5 h`, `3.2 days`."""
    seconds = hours * 3600
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v * 100:.0f}%" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int | float) and column.endswith("_hours"):
        return duration(float(value))
    if isinstance(value, float):
        return f"{value * 100:.0f}%" if column in PERCENT_COLUMNS else f"{value:.3g}"
    return str(value)


def table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One header line and one line per row; the columns of the first row, numbers right."""
    if not rows:
        return ["(nothing to count)"]
    columns = list(rows[0])
    cells = [[cell(c, row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row.get(c), int | float) or row.get(c) is None for row in rows)
        for c in columns
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [line(columns), *(line(values) for values in cells)]
