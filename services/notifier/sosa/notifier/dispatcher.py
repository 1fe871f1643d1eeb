"""Sends due deliveries, each in its own task, within a global limit and a limit per channel,
so that one slow endpoint fills only its own slots and never delays the others.

Deliveries to a disabled party are not claimed: they wait, paused (`sosa.notifier.paused_parties`).

A delivery is claimed by pushing its `next_attempt_at` past the attempt's timeout (a lease), so
a notifier that dies mid-send leaves it to be retried after a restart, with the same
`webhook-id`; one that stops cleanly hands its leases back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import tracing
from sosa.infra.clock import Clock
from sosa.infra.db import is_postgres
from sosa.infra.group_commit import GroupCommit
from sosa.notifier import recording, tables, webhooks
from sosa.notifier.attempts import AttemptResult
from sosa.notifier.email_sender import EmailSender
from sosa.notifier.paused_parties import party_not_disabled
from sosa.notifier.secret_box import SecretBox
from sosa.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
d, e, r, k = tables.deliveries, tables.endpoints, tables.email_recipients, tables.endpoint_secrets


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        settings: NotifierSettings,
        clock: Clock,
        *,
        email: EmailSender | None = None,
        on_recorded: Callable[[], None] = lambda: None,
        box: SecretBox | None = None,
    ) -> None:
        self._sessions = sessions
        self._box = box or SecretBox(settings.webhook_secret_keys)
        self._client = client
        self._settings = settings
        self._clock = clock
        self._email = email or EmailSender(settings)
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._in_flight: dict[str, int] = {}
        self._limits: dict[str, int] = {}
        self._recorded = GroupCommit(
            sessions,
            functools.partial(recording.record_all, settings=settings),
            service="notifier",
            max_batch=settings.dispatch_concurrency,
            on_commit=on_recorded,
        )
        """Attempts that finish while others are being recorded are recorded together."""

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    started = await self.dispatch_due()
                except Exception:
                    log.exception("dispatch round failed; will retry")
                    started = 0
                if started:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                self._wake.clear()
        finally:
            await self._hand_back_leases()

    async def dispatch_due(self) -> int:
        """Claim due deliveries for the free slots and start sending them; returns how many."""
        free = self._settings.dispatch_concurrency - len(self._tasks)
        if free <= 0:
            return 0
        for row in (claimed := await self._claim(free)):
            key = _channel_key(row)
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._tasks[row.delivery_id] = asyncio.create_task(self._deliver(row, key))
        return len(claimed)

    async def drain(self) -> None:
        """Wait for every attempt in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _limit(self, row: Any) -> int:
        if row.channel == "email":
            return 2
        return int(row.max_in_flight or self._settings.endpoint_concurrency)

    async def _claim(self, free: int) -> list[Any]:
        now = self._clock.now()
        lease = timedelta(seconds=self._settings.webhook_timeout_s + self._settings.lease_margin_s)
        full = {key for key, n in self._in_flight.items() if n >= self._limits.get(key, 1 << 30)}
        full_hooks = [key.removeprefix("endpoint:") for key in full if key.startswith("endpoint:")]
        full_mail = [key.removeprefix("email:") for key in full if key.startswith("email:")]
        query = (
            select(d, e.c.url, e.c.secret, e.c.max_in_flight, r.c.address)
            .outerjoin(e, e.c.endpoint_id == d.c.endpoint_id)
            .outerjoin(r, r.c.recipient_id == d.c.recipient_id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                or_(e.c.enabled.is_(True), r.c.enabled.is_(True)),
                party_not_disabled(d.c.party_id),
                or_(d.c.endpoint_id.is_(None), d.c.endpoint_id.not_in(full_hooks)),
                or_(d.c.recipient_id.is_(None), d.c.recipient_id.not_in(full_mail)),
                d.c.delivery_id.not_in(list(self._tasks)),
            )
            .order_by(d.c.next_attempt_at)
            .limit(free * 4)  # more than needed: some may belong to channels already full
        )
        async with self._sessions() as session, session.begin():
            if is_postgres(session):
                query = query.with_for_update(of=d, skip_locked=True)
            chosen = self._within_limits(list((await session.execute(query)).all()), free)
            if chosen:
                await session.execute(
                    update(d)
                    .where(d.c.delivery_id.in_([row.delivery_id for row in chosen]))
                    .values(next_attempt_at=now + lease)
                )
                return await self._with_old_secrets(session, chosen, now)
        return []

    def _within_limits(self, rows: list[Any], free: int) -> list[Any]:
        taken: dict[str, int] = {}
        chosen = []
        for row in rows:
            key = _channel_key(row)
            self._limits[key] = self._limit(row)
            if self._in_flight.get(key, 0) + taken.get(key, 0) >= self._limits[key]:
                continue
            taken[key] = taken.get(key, 0) + 1
            chosen.append(row)
            if len(chosen) == free:
                break
        return chosen

    async def _with_old_secrets(
        self, session: AsyncSession, rows: list[Any], now: datetime
    ) -> list[Any]:
        """Attach every secret that signs: the current one, then rotated-out ones in grace."""
        ids = {row.endpoint_id for row in rows if row.endpoint_id}
        old: dict[str, list[str]] = {}
        for endpoint_id, secret in await session.execute(
            select(k.c.endpoint_id, k.c.secret)
            .where(k.c.endpoint_id.in_(ids), k.c.expires_at > now)
            .order_by(k.c.retired_at.desc())
        ):
            old.setdefault(endpoint_id, []).append(secret)
        opened = self._box.open  # stored sealed (sosa.notifier.secret_box)
        return [
            SimpleNamespace(
                **row._mapping,
                secrets=[opened(s) for s in [row.secret, *old.get(row.endpoint_id, [])]]
                if row.secret
                else [],
            )
            for row in rows
        ]

    async def _deliver(self, row: Any, key: str) -> None:
        try:
            result = await self._traced_attempt(row)
            await self._recorded.store_driven(recording.Attempt(row, result, self._clock.now()))
            log.info(
                "delivery attempt",
                extra={
                    "delivery_id": row.delivery_id,
                    "channel": row.channel,
                    "status_code": result.status_code,
                    "attempt": row.attempts + 1,
                    "error": result.error,
                },
            )
        except Exception:
            # the lease runs out and the delivery is tried again, with the same webhook-id
            log.exception("delivery attempt not recorded", extra={"delivery_id": row.delivery_id})
        finally:
            self._tasks.pop(row.delivery_id, None)
            self._in_flight[key] -= 1
            self._wake.set()

    async def _traced_attempt(self, row: Any) -> AttemptResult:
        """One attempt in a span of its own that continues the outcome's trace; the webhook
        carries that span's `traceparent` on."""
        with tracing.continued_span(
            "notifier deliver",
            row.traceparent,
            kind=SpanKind.CLIENT,
            attributes={
                "sosa.delivery_id": row.delivery_id,
                "sosa.event_id": row.event_id,
                "sosa.event_type": row.event_type,
                "sosa.request_id": row.request_id or "",
                "sosa.party_id": row.party_id,
                "sosa.channel": row.channel,
                "sosa.attempt": row.attempts + 1,
            },
        ) as span:
            result = await self._attempt(row)
            if result.status_code is not None:
                span.set_attribute("http.response.status_code", result.status_code)
            if not result.delivered:
                span.set_status(StatusCode.ERROR, result.describe())
            return result

    async def _attempt(self, row: Any) -> AttemptResult:
        s, now = self._settings, self._clock.now()
        if row.channel == "email":
            return await self._email.send(
                to=row.address, message_id=row.event_id, body=json.loads(row.payload), now=now
            )
        return await webhooks.send(
            self._client,
            url=row.url,
            secrets=row.secrets,
            message_id=row.event_id,
            payload=row.payload,
            now=now,
            timeout_s=s.webhook_timeout_s,
            retry_after_cap_s=s.retry_after_max_s,
            traceparent=tracing.current_traceparent(),
        )

    async def _hand_back_leases(self) -> None:
        """On a clean stop, cancel what is in flight and make it due again at once."""
        ids = list(self._tasks)
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if not ids:
            return
        with contextlib.suppress(Exception):
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(d)
                    .where(d.c.delivery_id.in_(ids), d.c.status == "pending")
                    .values(next_attempt_at=self._clock.now())
                )


def _channel_key(row: Any) -> str:
    return f"endpoint:{row.endpoint_id}" if row.endpoint_id else f"email:{row.recipient_id}"
