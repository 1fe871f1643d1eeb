"""How long a service's event loop was held: a timer set a short interval ahead, and how late
the loop ran it (`sosa_event_loop_lag_seconds`).

A handler that computes for 200 ms on the loop delays every other request by up to 200 ms
(#24: nothing heavy may hold a serving loop). The lateness of a timer measures that directly,
inside the process, without the HTTP round trip and the client's own scheduling an outside
probe adds; it also counts the time the process waited for a core, which an operator wants to
see beside it. One wake every `interval_s` (25 ms by default) costs a few microseconds.
"""

from __future__ import annotations

import asyncio

from prometheus_client import Histogram

LOOP_LAG = Histogram(
    "sosa_event_loop_lag_seconds",
    "How late the event loop ran a timer due after a short interval: how long something held "
    "the loop (or the process waited for a core)",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

INTERVAL_S = 0.025


async def watch(service: str, interval_s: float = INTERVAL_S) -> None:
    """Observe the loop's lateness every `interval_s`, until cancelled."""
    loop = asyncio.get_running_loop()
    observe = LOOP_LAG.labels(service).observe
    while True:
        due = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        observe(max(0.0, loop.time() - due))
