"""Sends due deliveries, records every attempt and schedules the next one.

A delivery is claimed by pushing its `next_attempt_at` past the request timeout (a lease), so a
notifier that dies mid-send leaves it to be retried after a restart, with the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra.clock import Clock
from sosa.infra.db import is_postgres
from sosa.notifier import retry, signing, tables
from sosa.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None
    retry_after_s: float | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        settings: NotifierSettings,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._settings = settings
        self._clock = clock
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.dispatch_concurrency)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                sent = await self.dispatch_due()
            except Exception:
                log.exception("dispatch round failed; will retry")
                sent = 0
            if sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.5)
            self._wake.clear()

    async def dispatch_due(self, limit: int = 100) -> int:
        """Claim and send up to `limit` due deliveries concurrently; returns how many were sent."""
        claimed = await self._claim(limit)
        await asyncio.gather(*(self._deliver(row) for row in claimed))
        return len(claimed)

    async def _claim(self, limit: int) -> list[Any]:
        now = self._clock.now()
        lease_until = now + timedelta(seconds=self._settings.webhook_timeout_s + 30)
        d, e = tables.deliveries, tables.endpoints
        query = (
            select(d, e.c.url, e.c.secret)
            .join(e, e.c.endpoint_id == d.c.endpoint_id)
            .where(d.c.status == "pending", d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        async with self._sessions() as session, session.begin():
            if is_postgres(session):
                query = query.with_for_update(of=d, skip_locked=True)
            rows = list((await session.execute(query)).all())
            if rows:
                await session.execute(
                    update(d)
                    .where(d.c.delivery_id.in_([r.delivery_id for r in rows]))
                    .values(next_attempt_at=lease_until)
                )
        return rows

    async def _deliver(self, row: Any) -> None:
        async with self._slots:
            result = await self._send(row)
        await self._record(row, result)

    async def _send(self, row: Any) -> AttemptResult:
        headers = signing.signed_headers(
            row.secret, message_id=row.event_id, sent_at=self._clock.now(), body=row.payload
        )
        started = time.perf_counter()
        try:
            response = await self._client.post(
                row.url,
                content=row.payload,
                headers=headers,
                timeout=self._settings.webhook_timeout_s,
            )
        except httpx.HTTPError as exc:
            return AttemptResult(
                None, _ms_since(started), f"{type(exc).__name__}: {exc}"[:500], None, None
            )
        return AttemptResult(
            response.status_code,
            _ms_since(started),
            None,
            response.text[:500] or None,
            _retry_after(response.headers.get("retry-after")),
        )

    async def _record(self, row: Any, result: AttemptResult) -> None:
        now = self._clock.now()
        attempts = row.attempts + 1
        if result.delivered:
            values: dict[str, Any] = {
                "status": "delivered",
                "delivered_at": now,
                "next_attempt_at": None,
            }
        else:
            next_at = retry.next_attempt_at(
                attempts_made=attempts,
                schedule_s=self._settings.retry_schedule_s,
                now=now,
                retry_after_s=result.retry_after_s,
            )
            values = {"status": "pending" if next_at else "failed", "next_attempt_at": next_at}
        async with self._sessions() as session, session.begin():
            await session.execute(
                tables.attempts.insert().values(
                    delivery_id=row.delivery_id,
                    attempted_at=now,
                    status_code=result.status_code,
                    latency_ms=result.latency_ms,
                    error=result.error,
                    response_excerpt=result.response_excerpt,
                )
            )
            await session.execute(
                update(tables.deliveries)
                .where(tables.deliveries.c.delivery_id == row.delivery_id)
                .values(attempts=attempts, **values)
            )
        log.info(
            "webhook attempt",
            extra={
                "delivery_id": row.delivery_id,
                "status_code": result.status_code,
                "attempt": attempts,
            },
        )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
