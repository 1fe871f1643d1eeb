"""Failed authentications per client address, in this process's memory (pure: time is passed in).

An address may fail to authenticate `limit` times within any `window_s` seconds; after that every
request from it is refused (429) without its credential being checked, until the oldest of those
failures leaves the window. Successful authentications are not counted.

The address is the peer of the connection. Behind a reverse proxy or load balancer that is the
proxy, so all clients would share one budget: list the proxies in `SOSA_AUTH_TRUSTED_PROXIES` and
the address becomes the nearest untrusted one of `X-Forwarded-For` (`client_address`). Never trust
that header otherwise: any client can write it.

Memory is bounded: an address is forgotten once its last failure leaves the window, and at most
`max_addresses` are tracked (the one whose last failure is oldest is dropped first; forgetting only
forgives). Several processes each keep their own counts.
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_ADDRESSES = 100_000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class FailureLimiter:
    limit: int
    window_s: float
    max_addresses: int = MAX_ADDRESSES
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    """Per address, the times of its failures within the window (oldest first, at most `limit`);
    the dict is ordered by each address's last failure, oldest first."""

    def blocked(self, address: str, now: float) -> float:
        """0 when `address` may try to authenticate; otherwise the seconds until a failure leaves
        its window (for Retry-After, at least 1)."""
        times = self._failures.get(address)
        if times is None:
            return 0.0
        self._expire(times, now)
        if not times:
            del self._failures[address]
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return float(max(1, math.ceil(times[0] + self.window_s - now)))

    def fail(self, address: str, now: float) -> bool:
        """Count one failed authentication of `address`; True when it makes the address blocked
        (the moment to say so once)."""
        self._forget_stale(now)
        times = self._failures.pop(address, None)
        if times is None:
            times = deque(maxlen=self.limit)
        self._expire(times, now)
        before = len(times)
        times.append(now)
        self._failures[address] = times  # last failure: moves to the end
        while len(self._failures) > self.max_addresses:
            del self._failures[next(iter(self._failures))]
        return before == self.limit - 1

    def __len__(self) -> int:
        return len(self._failures)

    def _expire(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window_s:
            times.popleft()

    def _forget_stale(self, now: float) -> None:
        """Drop the addresses whose last failure left the window (they are at the front)."""
        while self._failures:
            address, times = next(iter(self._failures.items()))
            if times and times[-1] > now - self.window_s:
                return
            del self._failures[address]


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network] = ()
) -> str:
    """The address to count failures against: the connection's peer, or, when the peer is a
    trusted proxy, the rightmost address of `X-Forwarded-For` that is not one (the nearest hop
    no trusted proxy vouches beyond)."""
    address = peer or "unknown"
    if not trusted or not forwarded_for:
        return address
    if not _is_trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: fall back to the proxy itself
        address = hop
        if not _is_trusted(hop, trusted):
            return hop
    return address


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
