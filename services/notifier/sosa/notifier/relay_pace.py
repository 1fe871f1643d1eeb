"""The delivery log's relay woken at a pace: every recorded round of attempts commits outbox
rows for `sosa.deliveries.v1`, and waking the relay for each would make each relay transaction
(lock, read, publish, delete) carry only that round. Wakes that come within `RELAY_PACE_S` of
the first are folded into one, so that one relay transaction publishes them all; the log is
an audit trail, and a fifth of a second more does not matter to it. The outcome consumer's wakes
of the dispatcher are paced the same way, over a shorter time (`sosa.notifier.app`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

RELAY_PACE_S: Final = 0.2


def paced(wake: Callable[[], None], pace_s: float = RELAY_PACE_S) -> Callable[[], None]:
    """`wake`, called `pace_s` after the first of a run of calls, once for the whole run."""
    pending: asyncio.TimerHandle | None = None

    def fire() -> None:
        nonlocal pending
        pending = None
        wake()

    def call() -> None:
        nonlocal pending
        if pending is None:
            pending = asyncio.get_running_loop().call_later(pace_s, fire)

    return call
