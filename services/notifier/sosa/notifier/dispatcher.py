"""Sends due deliveries, each in its own task, within a global limit and a limit per channel,
so that one slow endpoint fills only its own slots and never delays the others.

Deliveries are claimed ahead, in batches: each channel holds up to its limit times
`SOSA_CLAIM_AHEAD` deliveries (in flight, queued for a slot, or being recorded), and one claim
transaction refills it when at least a slot's worth has finished, so that a claim feeds many
attempts. A channel whose attempts keep being answered within the webhook timeout divided by
`FAST_FACTOR` holds that many times more (at most half the process's room): at that pace its slots
still work through all of it within the lease, and a backlog to it takes a quarter of the claims.
Its first slow or unanswered attempt brings it back to its usual share for a lease's time (what it
holds beyond that share then runs out of lease and is let go, as any queued delivery whose lease no
longer covers an attempt). A slot that finishes an attempt takes the next queued delivery at once,
and the attempt is recorded meanwhile (`recording.record_all`, with whatever else finished).

A delivery is claimed by pushing its `next_attempt_at` past the attempts that may come before it
and its own (a lease: timeout x claim-ahead + margin), so a notifier that dies leaves it to be
retried by any notifier once the lease has run out, with the same `webhook-id`; one that stops
cleanly hands its leases back at once. A queued delivery is started only while its lease still
covers a whole attempt, and only if it was checked in the last `RECHECK_S`: one that waits longer
is checked again (still pending, its channel enabled, its party not disabled) or let go.

A steady stream needs no claim transaction: the outcome consumer writes the deliveries this
dispatcher has room for already claimed (`choose_handed`, `claim_handed` in the consumer's
transaction, with the same lease as a claim's) and hands them over after its commit (`take`);
only what it had no room for, retries and leases run out are claimed.

Deliveries to a disabled party are not claimed: they wait, paused (`sosa.notifier.paused_parties`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Final

import httpx
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import Integer, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import metrics, tracing
from sosa.infra.clock import Clock
from sosa.infra.db import is_postgres
from sosa.infra.group_commit import GroupCommit
from sosa.infra.membership import among, among_named, none_of_named
from sosa.notifier import recording, tables, webhooks
from sosa.notifier.attempts import AttemptResult
from sosa.notifier.deliveries import Handed
from sosa.notifier.email_sender import EmailSender
from sosa.notifier.paused_parties import party_not_disabled
from sosa.notifier.secret_box import SecretBox
from sosa.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
d, e, r, k = tables.deliveries, tables.endpoints, tables.email_recipients, tables.endpoint_secrets
EMAIL_LIMIT: Final = 2
"""Attempts in flight to one e-mail recipient."""
FAST_FACTOR: Final = 4
"""A channel answering within the webhook timeout / this holds this many times its usual share."""
RECHECK_S: Final = 1.0
"""A claimed delivery that has waited this long for a slot is checked again before it is sent."""
STOP_GRACE_S: Final = 5.0
"""On a clean stop, how long the attempts under way may take to finish and be recorded."""


def _sendable() -> Any:
    """A delivery that may be attempted now: pending, its channel enabled, its party not
    disabled (to be joined with its endpoint and recipient)."""
    return and_(
        d.c.status == "pending",
        or_(e.c.enabled.is_(True), r.c.enabled.is_(True)),
        party_not_disabled(d.c.party_id),
    )


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
        """Attempts under way or being recorded, by delivery id."""
        self._queued: dict[str, deque[Any]] = {}
        """Claimed deliveries waiting for a slot of their channel, oldest claim first."""
        self._held: dict[str, str] = {}
        """Every delivery this dispatcher holds a lease on (queued, in flight, being recorded):
        delivery id -> channel key."""
        self._held_per_channel: dict[str, int] = {}
        """Deliveries queued or in flight, per channel key (not those being recorded: their
        channel's slot and room are free again once the answer is in)."""
        self._recording: set[str] = set()
        """Held deliveries whose attempt is over and is waiting to be recorded."""
        self._in_flight: dict[str, int] = {}
        self._limits: dict[str, int] = {}
        self._fast: set[str] = set()
        """Channels whose latest attempt was answered within the timeout / `FAST_FACTOR`."""
        self._slow_at: dict[str, datetime] = {}
        """When each channel's latest slow or unanswered attempt ended."""
        self._more_due = False
        """The last claim found as many deliveries as it asked for: there may be more."""
        self._left_for: set[str] = set()
        """Channels with due deliveries left unclaimed for want of room (the consumer had none
        for them, or a claim took fewer than were due): a slot of theirs coming free claims
        again. (Retries coming due and other notifiers' leases running out are claimed by the
        wakes and the idle poll.)"""
        self._handing: dict[str, tuple[datetime, str]] = {}
        """Deliveries the outcome consumer wrote leased to this dispatcher, not yet taken
        (`take`), with their lease and their channel key: a clean stop hands back those still
        under that lease; they count against their channel's room (a poll told in several
        chunks, `deliveries.POLL_CHUNK`, hands each channel no more than one batch would). One
        whose transaction did not commit is forgotten once its lease would have run out."""
        self._stopping = False
        self._recorded = GroupCommit(
            sessions,
            functools.partial(recording.record_all, settings=settings),
            service="notifier",
            max_batch=settings.dispatch_concurrency * settings.claim_ahead,
            on_commit=on_recorded,
        )
        """Attempts that finish while others are being recorded are recorded together."""

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.dispatch_due()
                except Exception:
                    log.exception("dispatch round failed; will retry")
                    self._more_due = False
                if self._more_due:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                self._wake.clear()
        finally:
            await self._hand_back_leases()

    async def dispatch_due(self) -> int:
        """Check the deliveries that waited long in the queues, claim due deliveries for the
        channels with room and start what the slots allow; returns how many were claimed."""
        await self._recheck_waiting()
        held = len(self._held) - len(self._recording)
        room = self._settings.dispatch_concurrency * self._settings.claim_ahead - held
        self._more_due = False
        claimed = await self._claim(room) if room > 0 else []
        if room > 0:
            metrics.BATCH_SIZE.labels("notifier", "claimed").observe(len(claimed))
        self._hold(claimed)
        self._start_ready()
        return len(claimed)

    def choose_handed(self, rows: Iterable[Mapping[str, Any]]) -> set[str]:
        """Of new deliveries about to be written (`deliveries.delivery_row`'s values), the ids
        of those this dispatcher takes at once: within the process's room and each channel's,
        as a claim would, those handed already but not yet taken counted in. Nothing is
        reserved: a claim made before they are taken may let a channel hold a few more than its
        cap (its slots still bound what is in flight)."""
        if self._stopping:
            return set()
        now = self._clock.now()
        for delivery_id, (leased_until, _) in list(self._handing.items()):
            if leased_until <= now:
                del self._handing[delivery_id]
        room = self._settings.dispatch_concurrency * self._settings.claim_ahead
        room -= len(self._held) - len(self._recording) + len(self._handing)
        taken: dict[str, int] = {}
        for _, key in self._handing.values():
            taken[key] = taken.get(key, 0) + 1
        chosen: set[str] = set()
        for row in rows:
            key = _key_of(row["endpoint_id"], row["recipient_id"])
            if len(chosen) >= room or taken.get(key, 0) >= self._room(key):
                self._left_for.add(key)
                continue
            taken[key] = taken.get(key, 0) + 1
            chosen.add(row["delivery_id"])
        return chosen

    async def claim_handed(
        self, session: AsyncSession, rows: Sequence[Handed], now: datetime
    ) -> list[Any]:
        """In the transaction that wrote `rows` (`choose_handed`'s, new, not a paused party's,
        their channels just read enabled) with a lease's `next_attempt_at` (`lease_until`): the
        deliveries as a claim returns them, built from what was written and read (only the
        rotated-out secrets of the endpoints that have some are read), to be taken after the
        commit (`take`)."""
        if not rows:
            return []
        leased_until = self.lease_until(now)
        self._handing.update(
            (
                h.row["delivery_id"],
                (leased_until, _key_of(h.row["endpoint_id"], h.row["recipient_id"])),
            )
            for h in rows
        )
        rotated = [h.row["endpoint_id"] for h in rows if h.channel.rotated]
        old: dict[str, list[str]] = {}
        if rotated:
            old = await _lease_and_old_secrets(session, [], leased_until, rotated, now)
        return self._opened([h.claimed() for h in rows], old, now, leased_until)

    def take(self, rows: Sequence[Any]) -> None:
        """After the commit that leased them (`claim_handed`): hold `rows` as claimed ones and
        start what the slots allow. When stopping, their leases run out instead (or were
        handed back: `_hand_back_leases`)."""
        for row in rows:
            self._handing.pop(row.delivery_id, None)
        if self._stopping:
            return
        metrics.BATCH_SIZE.labels("notifier", "handed").observe(len(rows))
        self._hold(row for row in rows if row.delivery_id not in self._held)
        self._start_ready()

    def _hold(self, rows: Iterable[Any]) -> None:
        for row in rows:
            key = _channel_key(row)
            self._limits[key] = self._limit(row)
            self._held[row.delivery_id] = key
            self._held_per_channel[key] = self._held_per_channel.get(key, 0) + 1
            self._queued.setdefault(key, deque()).append(row)

    async def drain(self) -> None:
        """Wait for every attempt in flight or queued (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _limit(self, row: Any) -> int:
        if row.channel == "email":
            return EMAIL_LIMIT
        return int(row.max_in_flight or self._settings.endpoint_concurrency)

    def _cap(self, key: str) -> int:
        """How many deliveries the channel may hold: its limit times the claim-ahead, or, while
        it is fast (`_is_fast`), `FAST_FACTOR` times that, within half the process's room."""
        s = self._settings
        usual = self._limits.get(key, s.endpoint_concurrency) * s.claim_ahead
        if not self._is_fast(key):
            return usual
        return max(usual, min(usual * FAST_FACTOR, s.dispatch_concurrency * s.claim_ahead // 2))

    def _is_fast(self, key: str) -> bool:
        """Whether the channel's latest attempt was answered within the timeout / `FAST_FACTOR`
        and none was slow or unanswered for a lease's time."""
        if key not in self._fast:
            return False
        slow_at = self._slow_at.get(key)
        return slow_at is None or self._clock.now() >= self.lease_until(slow_at)

    def _paced(self, key: str, result: AttemptResult) -> None:
        """Note how fast the channel answered this attempt (`_is_fast`)."""
        quick_ms = self._settings.webhook_timeout_s * 1000 / FAST_FACTOR
        if result.status_code is not None and result.latency_ms <= quick_ms:
            was_fast = self._is_fast(key)
            self._fast.add(key)
            if not was_fast and self._is_fast(key) and key in self._left_for:
                self._wake.set()  # its room grew: what was left for it may be claimed
        else:
            self._fast.discard(key)
            self._slow_at[key] = self._clock.now()

    def _room(self, key: str) -> int:
        """How many more deliveries the channel may hold."""
        return self._cap(key) - self._held_per_channel.get(key, 0)

    def _wants_more(self, key: str) -> bool:
        """Whether the channel is worth a claim: room for a slot's worth, and for half of what
        it may hold (so that each claim brings several deliveries, and the queue never runs
        dry while the next claim is made)."""
        return self._room(key) >= max(self._limits.get(key, 1), self._cap(key) // 2)

    def lease_until(self, now: datetime) -> datetime:
        """Until when a delivery claimed at `now` is leased: long enough for each slot of its
        channel to work through its share of what is claimed ahead."""
        s = self._settings
        return now + timedelta(seconds=s.webhook_timeout_s * s.claim_ahead + s.lease_margin_s)

    async def _claim(self, room: int) -> list[Any]:
        """One transaction: the due deliveries of the channels with room for at least a slot's
        worth (the others are left out of the query), each channel up to its room, leased.
        Its statements are built once per dialect (`_claim_query`, `_lease_and_old_secrets`)."""
        now = self._clock.now()
        full = [key for key in self._held_per_channel if not self._wants_more(key)]
        s = self._settings
        wanted = min(room, 2 * FAST_FACTOR * s.endpoint_concurrency * s.claim_ahead)
        async with self._sessions() as session, session.begin():
            query = _claim_query(is_postgres(session))
            due = list(
                (
                    await session.execute(
                        query,
                        {
                            "now": now,
                            "wanted": wanted,
                            "full_hooks": [
                                key.removeprefix("endpoint:")
                                for key in full
                                if key.startswith("endpoint:")
                            ],
                            "full_mail": [
                                key.removeprefix("email:")
                                for key in full
                                if key.startswith("email:")
                            ],
                        },
                    )
                ).all()
            )
            chosen, cut = self._within_limits(due, room)
            self._more_due = len(due) == wanted and bool(chosen)
            # a channel left out of the query keeps what it was left; one in it was left
            # something only when the claim took fewer of its deliveries than were due
            self._left_for = {key for key in self._left_for if key in full} | cut
            if self._more_due:
                self._left_for.update(_channel_key(row) for row in chosen)
            if chosen:
                leased_until = self.lease_until(now)
                old = await _lease_and_old_secrets(
                    session,
                    [row.delivery_id for row in chosen],
                    leased_until,
                    [row.endpoint_id for row in chosen],
                    now,
                )
                return self._opened([row._mapping for row in chosen], old, now, leased_until)
        return []

    def _within_limits(self, rows: list[Any], room: int) -> tuple[list[Any], set[str]]:
        """The rows to take, within the process's room and each channel's; and the channels
        whose rows were left for want of room."""
        taken: dict[str, int] = {}
        chosen: list[Any] = []
        cut: set[str] = set()
        for row in rows:
            if row.delivery_id in self._held:  # its lease ran out while held here, or retried
                continue
            key = _channel_key(row)
            self._limits[key] = self._limit(row)
            if len(chosen) >= room or taken.get(key, 0) >= self._room(key):
                cut.add(key)
                continue
            taken[key] = taken.get(key, 0) + 1
            chosen.append(row)
        return chosen, cut

    def _opened(
        self,
        rows: Sequence[Mapping[str, Any]],
        old: Mapping[str, list[str]],
        now: datetime,
        leased_until: datetime,
    ) -> list[Any]:
        """Attach every secret that signs: the current one, then rotated-out ones in grace."""
        opened = functools.cache(self._box.open)  # each secret decrypted once per claim
        return [
            SimpleNamespace(
                **row,
                secrets=[opened(s) for s in [row["secret"], *old.get(row["endpoint_id"], [])]]
                if row["secret"]
                else [],
                leased_until=leased_until,
                checked_at=now,
            )
            for row in rows
        ]

    def _start_ready(self) -> None:
        """Start queued deliveries while their channels and the process have free slots."""
        now = self._clock.now()
        whole_attempt = timedelta(seconds=self._settings.webhook_timeout_s)
        recheck = timedelta(seconds=RECHECK_S)
        in_flight = sum(self._in_flight.values())
        for key, queue in self._queued.items():
            while queue and in_flight < self._settings.dispatch_concurrency:
                if self._in_flight.get(key, 0) >= self._limits.get(key, 1):
                    break
                row = queue[0]
                if now - row.checked_at > recheck:
                    self._wake.set()  # the next round checks it again
                    break
                queue.popleft()
                if row.leased_until - now < whole_attempt:
                    self._let_go(row.delivery_id)  # retried once its lease has run out
                    continue
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                in_flight += 1
                self._tasks[row.delivery_id] = asyncio.create_task(self._deliver(row, key))

    def _let_go(self, delivery_id: str) -> None:
        key = self._held.pop(delivery_id, None)
        if key is not None and delivery_id not in self._recording:
            self._free(key)
        self._recording.discard(delivery_id)

    def _attempted(self, delivery_id: str) -> None:
        """The attempt is over: its channel gets the room back at once, while the delivery
        stays held (never claimed again here) until it is recorded."""
        key = self._held.get(delivery_id)
        if key is not None and delivery_id not in self._recording:
            self._recording.add(delivery_id)
            self._free(key)

    def _free(self, key: str) -> None:
        """One delivery fewer on the channel: when that makes it worth a claim, claim again
        (only then: while it stays worth one, the last claim or the consumer's wake brought
        what was due, and a claim for each freed slot would mostly find nothing)."""
        wanted = self._wants_more(key)
        self._held_per_channel[key] -= 1
        if not wanted and self._wants_more(key) and key in self._left_for:
            self._wake.set()

    async def _recheck_waiting(self) -> None:
        """Once one queued delivery was claimed or checked more than half of `RECHECK_S` ago,
        check again every queued one (one statement, whatever the queue's size): those no
        longer sendable (delivered or failed meanwhile, channel disabled, party disabled) leave
        the queue and get their lease back. Checking the whole queue at once makes it one
        check per half of `RECHECK_S` at most, not one per round for the few that crossed it
        since the last (a notifier that lags runs many rounds a second)."""
        now = self._clock.now()
        half = timedelta(seconds=RECHECK_S / 2)
        if not any(now - row.checked_at > half for queue in self._queued.values() for row in queue):
            return
        waiting = [row for queue in self._queued.values() for row in queue]
        ids = [row.delivery_id for row in waiting]
        async with self._sessions() as session, session.begin():
            still = set(
                (
                    await session.scalars(
                        select(d.c.delivery_id)
                        .outerjoin(e, e.c.endpoint_id == d.c.endpoint_id)
                        .outerjoin(r, r.c.recipient_id == d.c.recipient_id)
                        .where(among(session, d.c.delivery_id, ids), _sendable())
                    )
                ).all()
            )
            gone = [delivery_id for delivery_id in ids if delivery_id not in still]
            if gone:
                await session.execute(
                    update(d)
                    .where(among(session, d.c.delivery_id, gone), d.c.status == "pending")
                    .values(next_attempt_at=now)
                )
        for row in waiting:
            row.checked_at = now
        if gone:
            dropped = set(gone)
            for key, queue in self._queued.items():
                self._queued[key] = deque(row for row in queue if row.delivery_id not in dropped)
            for delivery_id in gone:
                self._let_go(delivery_id)

    async def _deliver(self, row: Any, key: str) -> None:
        try:
            try:
                result = await self._traced_attempt(row)
            finally:
                self._in_flight[key] -= 1
            self._paced(key, result)
            self._attempted(row.delivery_id)
            self._start_ready()  # the slot takes the next queued delivery at once
            # wait for others to record with only when others are under way
            under_way = any(self._in_flight.values())
            await self._recorded.store_driven(
                recording.Attempt(row, result, self._clock.now()),
                linger_s=self._settings.record_linger_s if under_way else 0.0,
            )
            # a delivered attempt is in the delivery log (its attempts, sosa.deliveries.v1)
            # and logged only at DEBUG; one that failed is logged at INFO, for the operators
            level = logging.DEBUG if result.delivered else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
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
            self._let_go(row.delivery_id)

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
        """On a clean stop, let the attempts under way finish and be recorded (for at most
        `STOP_GRACE_S`, their linger cut short: the next notifier would send them again), then
        cancel what is left and make it and what is queued due again at once (those recorded
        meanwhile are no longer pending)."""
        self._stopping = True
        ids = list(self._held)
        self._queued.clear()
        self._recorded.stop_lingering()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=STOP_GRACE_S)
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        # written leased by the outcome consumer and never taken: handed back only while under
        # the lease it wrote (a rolled-back write's row may since be another notifier's claim)
        handing = [
            {"b_id": delivery_id, "b_lease": leased_until}
            for delivery_id, (leased_until, _) in self._handing.items()
        ]
        if not ids and not handing:
            return
        now = self._clock.now()
        with contextlib.suppress(Exception):
            async with self._sessions() as session, session.begin():
                if ids:
                    await session.execute(
                        update(d)
                        .where(among(session, d.c.delivery_id, ids), d.c.status == "pending")
                        .values(next_attempt_at=now)
                    )
                if handing:
                    await session.execute(
                        update(d)
                        .where(
                            d.c.delivery_id == bindparam("b_id"),
                            d.c.next_attempt_at == bindparam("b_lease"),
                            d.c.status == "pending",
                        )
                        .values(next_attempt_at=now),
                        handing,
                    )


def _channel_key(row: Any) -> str:
    return _key_of(row.endpoint_id, row.recipient_id)


def _key_of(endpoint_id: str | None, recipient_id: str | None) -> str:
    return f"endpoint:{endpoint_id}" if endpoint_id else f"email:{recipient_id}"


@functools.cache
def _claim_query(postgres: bool) -> Any:
    """The claim's select, built once per dialect, of one shape whatever is bound: the due
    deliveries (`now`) of the channels not full (`full_hooks`, `full_mail`), oldest due first,
    at most `wanted`; on PostgreSQL locked, skipping those another notifier is claiming."""
    query = (
        select(d, e.c.url, e.c.secret, e.c.max_in_flight, r.c.address)
        .outerjoin(e, e.c.endpoint_id == d.c.endpoint_id)
        .outerjoin(r, r.c.recipient_id == d.c.recipient_id)
        .where(
            d.c.next_attempt_at <= bindparam("now"),
            _sendable(),
            or_(
                d.c.endpoint_id.is_(None),
                none_of_named(d.c.endpoint_id, "full_hooks", postgres=postgres),
            ),
            or_(
                d.c.recipient_id.is_(None),
                none_of_named(d.c.recipient_id, "full_mail", postgres=postgres),
            ),
        )
        .order_by(d.c.next_attempt_at)
        .limit(bindparam("wanted", type_=Integer))
    )
    return query.with_for_update(of=d, skip_locked=True) if postgres else query


@functools.cache
def _old_secrets_query(postgres: bool, lease: bool) -> Any:
    """The rotated-out secrets still in grace (`now`) of the endpoints `endpoints`, the latest
    retired first; with `lease`, on PostgreSQL, the same statement leases the deliveries `ids`
    until `leased_until` (a data-modifying `WITH`: one round trip for both)."""
    query = (
        select(k.c.endpoint_id, k.c.secret)
        .where(
            among_named(k.c.endpoint_id, "endpoints", postgres=postgres),
            k.c.expires_at > bindparam("now"),
        )
        .order_by(k.c.retired_at.desc())
    )
    if lease and postgres:
        query = query.add_cte(_lease_statement(postgres).cte("leased"))
    return query


@functools.cache
def _lease_statement(postgres: bool) -> Any:
    return (
        update(d)
        .where(among_named(d.c.delivery_id, "ids", postgres=postgres))
        .values(next_attempt_at=bindparam("leased_until"))
    )


async def _lease_and_old_secrets(
    session: AsyncSession,
    ids: Sequence[str],
    leased_until: datetime,
    endpoint_ids: Iterable[str | None],
    now: datetime,
) -> dict[str, list[str]]:
    """Lease the deliveries `ids` (none: leased already) and read the rotated-out secrets of
    the endpoints `endpoint_ids` (None for an e-mail's): on PostgreSQL one statement, on SQLite
    two."""
    postgres = is_postgres(session)
    endpoints = sorted({endpoint_id for endpoint_id in endpoint_ids if endpoint_id})
    params = {"ids": list(ids), "leased_until": leased_until, "endpoints": endpoints, "now": now}
    if ids and not postgres:
        await session.execute(_lease_statement(postgres), params)
    old: dict[str, list[str]] = {}
    if endpoints or (ids and postgres):
        query = _old_secrets_query(postgres, bool(ids))
        for endpoint_id, secret in await session.execute(query, params):
            old.setdefault(endpoint_id, []).append(secret)
    return old
