"""Group commit: the writes of concurrent tasks stored together, in one transaction.

Each task (an accepted POST in intake, a finished delivery attempt in the notifier) hands its
write to `GroupCommit.store` and waits. A few writers (`in_flight`) each take what has gathered,
up to `max_batch` writes, after waiting at most `max_wait_s` for more to arrive, and store the
batch in one transaction with the service's `store_all` (one statement per table). Every caller
hears only after that commit: intake's 202 always means committed. A batch that fails for a
reason other than an outage (a constraint, a deadlock) is stored again one write at a time, so
that one bad row fails only its own caller; an outage fails the whole batch at once (nothing
of it was stored, and retrying it is safe).

With `retry_lost_connection`, a batch whose connection turns out lost before its COMMIT was
sent (a pooled connection that the server dropped while it sat in the pool, not pinged at
checkout: `sosa.infra.db.create_engine`'s `ping_after_idle_s`) is stored once more on a fresh
connection before its callers hear of it. PostgreSQL commits nothing whose COMMIT it did not
receive, so the retry neither doubles nor loses a write; a failure at the COMMIT itself (it may
have committed) is never retried: its callers get the error, as without the option.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import metrics
from sosa.infra.db import is_lost_connection, is_outage

log = logging.getLogger(__name__)
WriteT = TypeVar("WriteT")
StoreAll = Callable[[AsyncSession, Sequence[WriteT]], Awaitable[Sequence[WriteT]]]
"""Stores a batch in the caller's transaction; returns the writes stored (the others were
refused as already there, as an idempotency key already taken)."""


class GroupCommit(Generic[WriteT]):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store_all: StoreAll[WriteT],
        *,
        service: str,
        max_batch: int = 200,
        max_wait_s: float = 0.002,
        in_flight: int = 2,
        on_commit: Callable[[], None] = lambda: None,
        retry_lost_connection: bool = False,
    ) -> None:
        self._sessions = sessions
        self._store_all = store_all
        self._service = service
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._in_flight = in_flight
        self._on_commit = on_commit
        self._retry_lost_connection = retry_lost_connection
        self._queue: deque[tuple[WriteT, asyncio.Future[bool]]] = deque()
        self._arrived = asyncio.Condition()
        self._driving = asyncio.Lock()
        self._lingering_ends = asyncio.Event()

    def stop_lingering(self) -> None:
        """From now on `store_driven` stores at once (a service that stops)."""
        self._lingering_ends.set()

    async def store(self, write: WriteT) -> bool:
        """Store `write` with whatever else is waiting; True once committed, False when it was
        refused as already there (nothing of it was stored). Raises what the store raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((write, future))
        async with self._arrived:
            self._arrived.notify()
        return await future

    async def store_driven(self, write: WriteT, *, linger_s: float = 0.0) -> bool:
        """`store` without writers (`run` not running): the caller that finds no commit in
        progress stores everything gathered so far, its own write included, while later callers
        gather for the next commit. A batch is what arrived during the last commit, and, with
        `linger_s`, during that much more before it is taken (the notifier's attempts, which
        finish at their own pace and whose callers need not wait for the commit)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((write, future))
        async with self._driving:
            while not future.done():
                if linger_s > 0 and len(self._queue) < self._max_batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lingering_ends.wait(), linger_s)
                batch = self._take()
                try:
                    await self._commit(batch)
                except asyncio.CancelledError:  # the others in the batch hear it too
                    for _, waiting in batch:
                        waiting.cancel()
                    raise
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
            batch = self._take()
            try:
                await self._commit(batch)
            except asyncio.CancelledError:  # the service stops: no caller is left waiting
                for _, future in batch:
                    future.cancel()
                raise

    def _take(self) -> list[tuple[WriteT, asyncio.Future[bool]]]:
        return [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]

    async def _commit(
        self, batch: list[tuple[WriteT, asyncio.Future[bool]]], *, retried: bool = False
    ) -> None:
        if not batch:
            return
        committing = False
        try:
            async with self._sessions() as session, session.begin():
                stored = await self._store_all(session, [write for write, _ in batch])
                committing = True  # the COMMIT is sent as this block ends
        except Exception as exc:
            if (
                self._retry_lost_connection
                and not retried
                and not committing
                and is_lost_connection(exc)
            ):
                log.warning(
                    "group commit's connection was lost before its COMMIT; storing its %d "
                    "writes again on a fresh connection",
                    len(batch),
                    exc_info=exc,
                )
                await self._commit(batch, retried=True)
                return
            if len(batch) > 1 and not is_outage(exc):
                log.warning(
                    "group commit failed; storing its %d writes one at a time",
                    len(batch),
                    exc_info=exc,
                )
                for pending in batch:
                    await self._commit([pending], retried=retried)
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        metrics.BATCH_SIZE.labels(self._service, "group_commit").observe(len(batch))
        self._on_commit()
        committed = {id(write) for write in stored}
        for write, future in batch:
            if not future.done():
                future.set_result(id(write) in committed)
