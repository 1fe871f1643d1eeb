"""When to try a failed delivery again (pure: time passed in)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta


def next_attempt_at(
    *,
    attempts_made: int,
    schedule_s: Sequence[float],
    now: datetime,
    retry_after_s: float | None = None,
    jitter: float = 0.1,
    rng: random.Random | None = None,
) -> datetime | None:
    """The time of the next attempt after `attempts_made` attempts, or None when they are exhausted.

    `schedule_s[i]` is the delay before attempt i+1 (so `schedule_s[0]` is the first, normally 0).
    A receiver's `Retry-After` is honoured when it asks for longer than the schedule would wait.
    """
    if attempts_made >= len(schedule_s):
        return None
    delay = schedule_s[attempts_made]
    delay += delay * jitter * (rng or random).random()
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return now + timedelta(seconds=delay)
