"""Group commit: the writes of concurrent POSTs stored together, in one transaction.

Each accepted POST hands its rows (`writes.Write`) to `GroupCommit.store` and waits. A few
writers (`in_flight`) each take what has gathered, up to `max_batch` writes, after waiting at
most `max_wait_s` for more to arrive, and store the batch in one transaction with one statement
per table (`writes.store_all`) and one update of the audit head. Every caller hears only after
that commit: a 202 always means committed. A batch that fails for a reason other than an
outage (a constraint, a deadlock) is stored again one write at a time, so that one bad row
fails only its own request; an outage fails the whole batch at once (503: nothing of it was
stored, and a retry with the same Idempotency-Key is safe).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import metrics
from sosa.infra.db import is_outage
from sosa.intake.writes import Write, store_all

log = logging.getLogger(__name__)
Pending = tuple[Write[Any], "asyncio.Future[bool]"]


class GroupCommit:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_batch: int = 200,
        max_wait_s: float = 0.002,
        in_flight: int = 2,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._in_flight = in_flight
        self._on_commit = on_commit
        self._queue: deque[Pending] = deque()
        self._arrived = asyncio.Condition()

    async def store(self, write: Write[Any]) -> bool:
        """Store `write` with whatever else is waiting; True once committed, False when its
        idempotency key was taken (nothing of it was stored). Raises what the store raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((write, future))
        async with self._arrived:
            self._arrived.notify()
        return await future

    async def run(self) -> None:
        """The writers; run as long as the service does."""
        await asyncio.gather(*(self._writer() for _ in range(self._in_flight)))

    async def _writer(self) -> None:
        while True:
            async with self._arrived:
                await self._arrived.wait_for(lambda: bool(self._queue))
            if len(self._queue) < self._max_batch and self._max_wait_s > 0:
                await asyncio.sleep(self._max_wait_s)  # let the concurrent requests gather
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]
            try:
                await self._commit(batch)
            except asyncio.CancelledError:  # the service stops: no caller is left waiting
                for _, future in batch:
                    future.cancel()
                raise

    async def _commit(self, batch: list[Pending]) -> None:
        if not batch:
            return
        try:
            async with self._sessions() as session, session.begin():
                stored = await store_all(session, [write for write, _ in batch])
        except Exception as exc:
            if len(batch) > 1 and not is_outage(exc):
                log.warning(
                    "group commit failed; storing its %d writes one at a time",
                    len(batch),
                    exc_info=exc,
                )
                for pending in batch:
                    await self._commit([pending])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        metrics.BATCH_SIZE.labels("intake", "group_commit").observe(len(batch))
        self._on_commit()
        committed = {id(write) for write in stored}
        for write, future in batch:
            if not future.done():
                future.set_result(id(write) in committed)
