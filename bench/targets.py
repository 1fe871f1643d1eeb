"""The figures #25 sets targets for, each beside its anchor when it has one: what `make bench`
prints last, as a table of ratios (docs/performance.md). Targets are read, not asserted: a run
that misses one still measured something.

#25's table (it replaces #11's), each figure read as a ratio to the anchor of its own run:

| figure | target |
|---|---|
| a: intake CPU per accepted request | <= 1.0 ms, and >= 0.27 x anchor a's (anchor / intake) |
| a: intake accepted/s | >= 1.5 x anchor a2's (the minimal durable accept) |
| b: rate reached, 300/s offered | >= 300/s less wrk's pacing spread (`STEADY_RATE_SHARE`) |
| b: received -> outcome p99 | < 100 ms |
| b: POST -> webhook received p99, steady stream | < 250 ms |
| b: router CPU per record, steady stream | <= 1.0 ms |
| c: router CPU per record, catch-up | <= 0.3 ms, and >= 0.3 x anchor b's |
| d: notifier CPU per delivery | <= 2.0 ms, and >= 0.45 x anchor c's |
| every service's peak RSS | < 150 MiB |
"""

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
    cost: bool = False
    """A cost (CPU ms per item): its ratio is anchor / value, so that 1 is the anchor's
    efficiency and a higher ratio is better, as for a rate."""

    @property
    def ratio(self) -> float | None:
        if self.cost:
            return round(self.anchor / self.value, 3) if self.anchor and self.value else None
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


def cost_within_anchor(
    figure: str, value: float, unit: str, anchor: float, anchor_name: str, share: float
) -> Target:
    """A cost per item at most 1/share of the anchor's: anchor / value >= share."""
    return Target(
        figure,
        value,
        unit,
        f">= {share:g} x anchor (anchor / value)",
        met=value > 0 and anchor / value >= share,
        anchor=anchor,
        anchor_name=anchor_name,
        cost=True,
    )


def at_most(figure: str, value: float, unit: str, limit: float) -> Target:
    return Target(figure, value, unit, f"<= {limit:g} {unit}", met=value <= limit)


def at_least(figure: str, value: float, unit: str, limit: float) -> Target:
    return Target(figure, value, unit, f">= {limit:g} {unit}", met=value >= limit)


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


# --- #25's table, scenario by scenario (from the figures each scenario records) --------------

STEADY_RATE_SHARE = 0.95
"""Scenario b paces wrk with exponential pauses: a service that keeps up reaches about the rate
offered, a little under it; 95 % of it is "sustained"."""


def _cpu(figures: dict[str, Any], unit: str, service: str) -> float:
    return float(figures.get(f"cpu_ms_per_{unit}", {}).get(service, 0.0))


def intake_acceptance(figures: dict[str, Any]) -> list[Target]:
    """a: intake's CPU per accepted request against anchor a's, its rate against anchor a2's."""
    anchor_a, anchor_a2 = figures["anchor_a"], figures["anchor_a2"]
    intake_ms = _cpu(figures, "request", "intake")
    return [
        at_most("a: intake CPU per accepted request", intake_ms, "ms", 1.0),
        cost_within_anchor(
            "a: intake CPU per accepted request",
            intake_ms,
            "ms",
            _cpu(anchor_a, "request", "bare endpoint"),
            "bare endpoint",
            0.27,
        ),
        at_least_of_anchor(
            "a: intake accepted/s",
            figures["accepted_per_s"],
            "/s",
            anchor_a2["accepted_per_s"],
            "durable accept",
            1.5,
        ),
        *memory_targets("a", figures["peak_rss_mib"]),
    ]


def end_to_end(figures: dict[str, Any], offered_per_s: float) -> list[Target]:
    """b: the steady stream sustained, its latencies (to the outcome, to the webhook when the
    scenario measured it), and the router's CPU per record in it."""
    latency = figures["latency_received_to_outcome"]
    post_to_webhook = figures.get("latency_post_to_webhook") or {}
    return [
        at_least(
            f"b: rate reached, {offered_per_s:g}/s offered",
            figures["accepted_per_s"],
            "/s",
            round(STEADY_RATE_SHARE * offered_per_s, 1),
        ),
        below("b: received -> outcome p99", float(latency.get("p99_ms", 0)), "ms", 100),
        *(
            [below("b: POST -> webhook p99", float(post_to_webhook["p99_ms"]), "ms", 250)]
            if "p99_ms" in post_to_webhook
            else []
        ),
        at_most("b: router CPU per record, steady", _cpu(figures, "request", "router"), "ms", 1.0),
        *memory_targets("b", figures["peak_rss_mib"]),
    ]


def router_catch_up(figures: dict[str, Any]) -> list[Target]:
    """c: the router's CPU per record in catch-up, absolute and against anchor b's."""
    router_ms = _cpu(figures, "record", "router")
    return [
        at_most("c: router CPU per record, catch-up", router_ms, "ms", 0.3),
        cost_within_anchor(
            "c: router CPU per record, catch-up",
            router_ms,
            "ms",
            float(figures["anchor_b"]["cpu_ms_per_record"]),
            "passthrough",
            0.3,
        ),
        *memory_targets("c", figures["peak_rss_mib"]),
    ]


def webhook_fan_out(figures: dict[str, Any]) -> list[Target]:
    """d: the notifier's CPU per delivery, absolute and against anchor c's."""
    notifier_ms = _cpu(figures, "delivery", "notifier")
    return [
        at_most("d: notifier CPU per delivery", notifier_ms, "ms", 2.0),
        cost_within_anchor(
            "d: notifier CPU per delivery",
            notifier_ms,
            "ms",
            float(figures["anchor_c"]["cpu_ms_per_delivery"]),
            "raw httpx",
            0.45,
        ),
        *memory_targets("d", figures["peak_rss_mib"]),
    ]
