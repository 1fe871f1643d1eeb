"""The figures #11 sets targets for, each beside its anchor when it has one: what `make bench`
prints last, as a table of ratios (docs/performance.md). Targets are read, not asserted: a run
that misses one still measured something."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    figure: str
    value: float
    unit: str
    target: str
    """How the figure is judged, e.g. `>= 0.5 x anchor` or `< 100 ms`."""
    met: bool
    anchor: float | None = None
    anchor_name: str = ""

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.anchor, 3) if self.anchor else None

    def record(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def at_least_of_anchor(
    figure: str, value: float, unit: str, anchor: float, anchor_name: str, share: float
) -> Target:
    return Target(
        figure,
        value,
        unit,
        f">= {share:g} x anchor",
        met=anchor > 0 and value >= share * anchor,
        anchor=anchor,
        anchor_name=anchor_name,
    )


def below(figure: str, value: float, unit: str, limit: float) -> Target:
    return Target(figure, value, unit, f"< {limit:g} {unit}", met=value < limit)


def memory_targets(scenario: str, peak_rss_mib: dict[str, float]) -> list[Target]:
    """Each service < 150 MiB resident at its peak."""
    return [
        below(f"{scenario}: {name} peak RSS", mib, "MiB", 150)
        for name, mib in sorted(peak_rss_mib.items())
    ]


def table(targets: list[Target]) -> str:
    rows = [("figure", "value", "anchor", "ratio", "target", "met")]
    for t in targets:
        anchor = f"{t.anchor:g} ({t.anchor_name})" if t.anchor is not None else ""
        rows.append(
            (
                t.figure,
                f"{t.value:g} {t.unit}",
                anchor,
                f"{t.ratio:.2f}" if t.ratio is not None else "",
                t.target,
                "yes" if t.met else "NO",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
