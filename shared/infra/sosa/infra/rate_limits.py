"""A token bucket per party, in this process's memory (pure: time is passed in).

Each party's bucket holds up to `burst` tokens and refills at `per_s`; a request takes one.
Several processes of one service each keep their own buckets, so a party's real limit is the
configured one times the number of processes behind the load balancer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_PARTIES = 100_000


@dataclass
class RateLimiter:
    per_s: float
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, party: str, now: float) -> float:
        """0 when `party` may go on; otherwise the seconds until it may (for Retry-After)."""
        tokens, last = self._buckets.get(party, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_s)
        if tokens < 1:
            self._buckets[party] = (tokens, now)
            return max(1.0, math.ceil((1 - tokens) / self.per_s))
        if len(self._buckets) >= MAX_PARTIES and party not in self._buckets:
            self._buckets.clear()  # bounded memory: forgetting buckets only forgives
        self._buckets[party] = (tokens - 1, now)
        return 0.0
