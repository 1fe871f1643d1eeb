"""`sosa.infra.loop_lag` counts a held event loop: a blocking call of 150 ms on the loop shows
as a timer at least 100 ms late; each wake of the watcher is one observation."""

from __future__ import annotations

import asyncio
import time

from sosa.infra import loop_lag


def _late(service: str, bound: float) -> float:
    """Observations of `service` at least `bound` late (the total minus the bucket at it)."""
    count = bucket = 0.0
    for family in loop_lag.LOOP_LAG.collect():
        for sample in family.samples:
            if sample.labels.get("service") != service:
                continue
            if sample.name.endswith("_count"):
                count = sample.value
            elif sample.name.endswith("_bucket") and float(sample.labels["le"]) == bound:
                bucket = sample.value
    return count - bucket


async def test_a_blocked_loop_is_counted_late() -> None:
    watcher = asyncio.create_task(loop_lag.watch("test-held", interval_s=0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.15)  # noqa: ASYNC251 (on purpose: what a heavy handler does to the loop)
    await asyncio.sleep(0.05)
    watcher.cancel()
    assert _late("test-held", 0.1) >= 1


async def test_every_wake_is_observed() -> None:
    watcher = asyncio.create_task(loop_lag.watch("test-wakes", interval_s=0.01))
    await asyncio.sleep(0.2)
    watcher.cancel()
    assert _late("test-wakes", 2.5) == 0  # no observation beyond the last bucket
    assert (
        sum(
            s.value
            for f in loop_lag.LOOP_LAG.collect()
            for s in f.samples
            if s.name.endswith("_count") and s.labels.get("service") == "test-wakes"
        )
        >= 3
    )
