"""Reads kept for a bounded time: a lookup that many requests make (a credential, a party's
registered facts) costs one database read per key per `keep_s`, not one per request.

- What a read returned (None included: "no such key" is kept too) is kept for `keep_s` seconds,
  up to `size` keys (cachetools' TTLCache on the monotonic clock), then read again.
- Concurrent lookups of a key that is not kept share one read: when a kept value expires under
  load, the requests that arrive meanwhile wait for that read rather than each making its own.
- `forget()` drops everything kept, and no read already under way is kept afterwards: a lookup
  after `forget()` returns what was committed before it. With `keep_s` 0 nothing is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptReads(Generic[K, V]):
    def __init__(self, keep_s: float, *, size: int = 10_000) -> None:
        self.keep_s = keep_s
        self._kept: TTLCache[K, tuple[V]] = TTLCache(size, max(keep_s, 1e-9), timer=time.monotonic)
        self._reading: dict[K, asyncio.Future[V]] = {}
        self._generation = 0

    async def get(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The value kept for `key`, or what `read()` returns (then kept)."""
        if self.keep_s <= 0:
            return await read()
        kept = self._kept.get(key)
        if kept is not None:
            return kept[0]
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(read())
            self._reading[key] = reading
            reading.add_done_callback(self._keeper(key, self._generation))
        # shielded: a caller that is cancelled does not cancel the read the others wait for
        return await asyncio.shield(reading)

    def forget(self) -> None:
        """Drop everything kept; reads under way are not kept when they end."""
        self._generation += 1
        self._kept.clear()
        self._reading.clear()

    def _keeper(self, key: K, generation: int) -> Callable[[asyncio.Future[V]], None]:
        def keep(done: asyncio.Future[V]) -> None:
            if generation != self._generation:
                return  # forgotten meanwhile: the read may predate the change
            self._reading.pop(key, None)
            if not done.cancelled() and done.exception() is None:
                self._kept[key] = (done.result(),)

        return keep
