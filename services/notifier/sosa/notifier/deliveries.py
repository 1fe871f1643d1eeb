"""Turning outcomes into what each party is told: a stream entry per party, and a pending
delivery per (message, channel), created idempotently in the consumer's transaction; the new
deliveries this process's dispatcher has room for are written already claimed by it and handed
to it after the commit (`Handoff`), so that a steady stream needs no claim transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.contracts.posture import PostureChanged
from sosa.infra.clock import Clock
from sosa.infra.consumer_runner import ConsumerRunner, Decoded, OffsetCommitter
from sosa.infra.db import insert_new, is_postgres, unnest_arrays, unnest_insert
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.decoding import OutcomeRead, read_outcome
from sosa.notifier import channels, fanout, postures, stream, tables
from sosa.notifier.channels import Channel
from sosa.notifier.messages import Message, full_data, outcome_message
from sosa.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)


def delivery_row(
    channel: Channel,
    party_id: str,
    message: Message,
    *,
    now: datetime,
    escalate_at: datetime | None,
    escalated_from: str | None = None,
    payload: str | None = None,
) -> dict[str, Any]:
    """The values of one pending delivery of `message` over `channel` (`payload`: the message
    already serialised, when it was)."""
    return {
        "delivery_id": channel.delivery_id(message.message_id),
        "event_id": message.message_id,
        "channel": channel.kind,
        "endpoint_id": channel.channel_id if channel.kind == "webhook" else None,
        "recipient_id": channel.channel_id if channel.kind == "email" else None,
        "request_id": message.request_id,
        "party_id": party_id,
        "role": message.role,
        "fields": message.fields,
        "event_type": message.event_type,
        "payload": message.payload() if payload is None else payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "deadline": message.deadline,
        "escalate_at": escalate_at,
        "escalated_from": escalated_from,
        "traceparent": message.traceparent,
        "partner_country": message.partner_country,
    }


class Handoff(Protocol):
    """The dispatcher of this process, as the outcome consumer hands it new deliveries
    (`sosa.notifier.dispatcher.Dispatcher`)."""

    def choose_handed(self, rows: Iterable[Mapping[str, Any]]) -> set[str]: ...

    def lease_until(self, now: datetime) -> datetime: ...

    async def claim_handed(
        self, session: AsyncSession, rows: Sequence[Handed], now: datetime
    ) -> list[Any]: ...

    def take(self, rows: Sequence[Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class Handed:
    """A delivery just written leased to this process's dispatcher: its row as written and the
    channel it goes over, as read in the same transaction (`channels.of_parties`)."""

    row: Mapping[str, Any]
    channel: Channel

    def claimed(self) -> dict[str, Any]:
        """The values a claim reads for it: the delivery's columns and its channel's."""
        return {
            **_UNSET,
            **self.row,
            "url": self.channel.url,
            "secret": self.channel.secret,
            "max_in_flight": self.channel.max_in_flight,
            "address": self.channel.address,
        }


_UNSET = {column.name: None for column in tables.deliveries.c}


@dataclass(frozen=True, slots=True)
class Written:
    """What one batch of outcomes wrote: how many deliveries were created, and those of them
    written already claimed by this process's dispatcher (to hand it after the commit)."""

    created: int = 0
    claimed: list[Any] = field(default_factory=list)


async def distribute(
    session: AsyncSession,
    told: Sequence[tuple[str, Message]],
    *,
    now: datetime,
    escalation_margin: timedelta,
    handoff: Handoff | None = None,
) -> Written:
    """Tell each (party, message): its stream, then each channel that gets it; returns how many
    deliveries were created, and those of them written claimed by `handoff` (its room
    allowing: `Handoff.choose_handed`; not a paused party's), with the lease a claim takes. A
    constant number of statements whatever the batch, each of one shape: on PostgreSQL the
    parties' streams locked in party order (two writers never deadlock) and their channels
    with what an attempt needs read in one statement (`_LOCK_AND_CHANNELS`), the postures in
    force (only when a message has a deadline), then the streams' entries and the deliveries
    in one statement (`_APPEND_AND_DELIVER`); the deliveries handed over are built from the rows
    just written and the channels just read, not read back (only an endpoint's rotated-out
    secrets are read, when it has any). Each message is serialised once, for the streams and
    the deliveries alike."""
    if not told:
        return Written()
    postgres = is_postgres(session)
    payloads = {id(message): message.payload() for _, message in told}
    by_party = [
        (party_id, message, payloads[id(message)])
        for party_id, message in sorted(told, key=lambda pair: pair[0])
    ]
    if not postgres:
        await stream.append_all(session, by_party, now=now)
    rows, over = await _rows(session, told, payloads, now=now, escalation_margin=escalation_margin)
    chosen: set[str] = set()
    if handoff is not None and rows:
        chosen = handoff.choose_handed(r for r in rows if not over[r["delivery_id"]].paused)
    if chosen and handoff is not None:
        leased_until = handoff.lease_until(now)
        for row in rows:
            if row["delivery_id"] in chosen:
                row["next_attempt_at"] = leased_until
    if postgres:
        dialect = session.get_bind().dialect
        arrays = {
            **stream.append_arrays(session, by_party, now=now),
            **unnest_arrays(tables.deliveries, rows, dialect, _WRITTEN, prefix="d_"),
        }
        new = set((await session.scalars(_APPEND_AND_DELIVER, arrays)).all())
    else:
        written = await insert_new(session, tables.deliveries, rows, ["delivery_id"])
        new = {key for (key,) in written}
    if not chosen or handoff is None:
        return Written(len(new))
    # a delivery that was there already (a redelivered outcome) keeps its own lease or none
    handed = [
        Handed(row, over[row["delivery_id"]])
        for row in rows
        if row["delivery_id"] in chosen and row["delivery_id"] in new
    ]
    return Written(len(new), await handoff.claim_handed(session, handed, now))


async def _rows(
    session: AsyncSession,
    told: Sequence[tuple[str, Message]],
    payloads: Mapping[int, str],
    *,
    now: datetime,
    escalation_margin: timedelta,
) -> tuple[list[dict[str, Any]], dict[str, Channel]]:
    """The deliveries of each (party, message) (`delivery_row`), and the channel of each, by
    delivery id: the postures in force read only when a message has a deadline. On PostgreSQL
    the parties' channels are read in the statement that locks their streams first
    (`_LOCK_AND_CHANNELS`)."""
    parties = sorted({party_id for party_id, _ in told})
    if is_postgres(session):
        found = await session.execute(_LOCK_AND_CHANNELS, {"parties": parties, "now": now})
        party_channels = channels.read(found, parties)
    else:
        party_channels = await channels.of_parties(session, parties, now=now)
    in_force = await postures.in_force(session) if any(m.deadline for _, m in told) else {}
    rows: list[dict[str, Any]] = []
    over: dict[str, Channel] = {}
    for party_id, message in told:
        # a message about a response clock is escalated when not delivered well before its
        # deadline: `escalate_at` is that moment (earlier under a posture)
        escalate_at = None
        if message.deadline:
            factors = postures.for_partner(in_force, message.partner_country)
            escalate_at = message.deadline - escalation_margin / factors.second_channel
        for ch in channels.first_choice(party_channels[party_id], message.event_type):
            row = delivery_row(
                ch, party_id, message, now=now, escalate_at=escalate_at,
                payload=payloads[id(message)],
            )  # fmt: skip
            rows.append(row)
            over[row["delivery_id"]] = ch
    return rows, over


_LOCK_AND_CHANNELS = channels.query(postgres=True).add_cte(stream.LOCK_CURSORS.cte("locked"))
"""On PostgreSQL, the parties' streams locked in party order (`stream.LOCK_CURSORS`, a
data-modifying CTE: run whole whatever the query reads) and their channels read
(`channels.query`), in one statement: the first of `distribute`'s three."""

_WRITTEN = (
    "delivery_id", "event_id", "channel", "endpoint_id", "recipient_id", "request_id",
    "party_id", "role", "fields", "event_type", "payload", "status", "attempts",
    "next_attempt_at", "created_at", "deadline", "escalate_at", "escalated_from", "traceparent",
    "partner_country",
)  # fmt: skip
"""The columns `delivery_row` gives."""

_APPEND_AND_DELIVER = text(
    f"WITH {stream.APPEND_CTES} "
    f"{unnest_insert(tables.deliveries, _WRITTEN, prefix='d_', lengths_checked=True)} "
    "ON CONFLICT DO NOTHING RETURNING delivery_id"
)
"""On PostgreSQL, after `_LOCK_AND_CHANNELS` locked the streams: the streams' entries
(`stream.APPEND_CTES`) and the deliveries (as arrays, `sosa.infra.db.unnest_insert`; a string
longer than its column is refused, not cut) in one statement, returning the ids of the
deliveries that were new."""


async def record_deliveries(
    session: AsyncSession,
    events: Sequence[outcomes.OutcomeEvent],
    *,
    now: datetime,
    settings: NotifierSettings,
    traceparents: Mapping[str, str] | None = None,
    handoff: Handoff | None = None,
) -> Written:
    """Tell every party involved in each event what its role lets it know; each delivery keeps
    the trace of its event (`traceparents`, by event id) for its attempts to continue; those
    `handoff` has room for are written claimed by it (`distribute`)."""
    traces = traceparents or {}
    told: list[tuple[str, Message]] = []
    for event in events:
        data = full_data(event)  # dumped once, whoever hears of it
        traceparent = traces.get(event.event_id)
        told.extend(
            (party_id, outcome_message(event, role, traceparent=traceparent, dumped=data))
            for party_id, role in fanout.recipients(event, settings.operator_parties).items()
        )
    return await distribute(
        session,
        told,
        now=now,
        escalation_margin=timedelta(seconds=settings.escalation_margin_s),
        handoff=handoff,
    )


POLL_CHUNK: Final = 100
"""The most records of a poll of several partitions told in one batch of statements: what they
fan out into is held at once (the notifier's peak memory in a catch-up)."""


@dataclass(frozen=True, slots=True)
class OutcomeStage:
    """The notifier's outcome consumer on the consumer runner: a batch's posture changes are
    applied first (its outcomes come after them), then every party involved in each event is
    told. Idempotent: a stream entry and a delivery are keyed by the event, and a posture change
    only moves escalation points to what it sets. Returns what it wrote (`Written`): the
    deliveries `handoff` has room for are written claimed by it."""

    clock: Clock
    settings: NotifierSettings
    handoff: Handoff | None = None
    name: str = "notifier"

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> OutcomeRead:
        return read_outcome(record)

    async def apply(
        self, session: AsyncSession, batch: Sequence[Decoded[OutcomeRead]]
    ) -> list[Written]:
        return [await self._apply_all(session, batch)]

    async def apply_poll(
        self,
        session: AsyncSession,
        batches: Mapping[TopicPartition, Sequence[Decoded[OutcomeRead]]],
    ) -> Mapping[TopicPartition, Sequence[Written]]:
        """The batches of a poll's partitions together (`ConsumerRunner(poll_stage=...)`: one
        transaction), in the statements of one batch for every `POLL_CHUNK` records at most (a
        steady stream's polls, small, as one; a catch-up's no larger at once than a partition's
        batch alone was). What was written goes with the last partition, whose commit comes
        last, so that the deliveries written claimed are handed over once every partition's
        offsets are committed."""
        if not batches:
            return {}
        *_, last = batches
        decoded = [d for batch in batches.values() for d in batch]
        written = [
            await self._apply_all(session, decoded[at : at + POLL_CHUNK])
            for at in range(0, len(decoded), POLL_CHUNK)
        ]
        together = Written(
            sum(w.created for w in written), [row for w in written for row in w.claimed]
        )
        return {partition: [together] if partition == last else [] for partition in batches}

    async def _apply_all(
        self, session: AsyncSession, batch: Sequence[Decoded[OutcomeRead]]
    ) -> Written:
        now = self.clock.now()
        changes = [d.item.event for d in batch if isinstance(d.item.event, PostureChanged)]
        if changes:
            margin = timedelta(seconds=self.settings.escalation_margin_s)
            await postures.apply_changes(session, changes, now=now, escalation_margin=margin)
        events = [d.item.event for d in batch if isinstance(d.item.event, outcomes.OutcomeEvent)]
        traces = {
            d.item.event.event_id: d.item.traceparent
            for d in batch
            if isinstance(d.item.event, outcomes.OutcomeEvent) and d.item.traceparent
        }
        return await record_deliveries(
            session,
            events,
            now=now,
            settings=self.settings,
            traceparents=traces,
            handoff=self.handoff,
        )


def runner(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: NotifierSettings,
    on_recorded: Callable[[], None],
    dead_letters: DeadLetters,
    handoff: Handoff | None = None,
) -> ConsumerRunner[OutcomeRead, Written]:
    """The outcome consumer: each batch's deliveries recorded in one transaction, the records
    that cannot be read or applied sent to the dead-letter topic, then the offsets committed,
    the deliveries written claimed handed to the dispatcher (`handoff`), and the dispatcher
    woken (`on_recorded`) when others are left to claim."""

    def wake(written: Sequence[Written]) -> None:
        claimed = [row for w in written for row in w.claimed]
        if claimed and handoff is not None:
            handoff.take(claimed)
        if sum(w.created for w in written) > len(claimed):
            on_recorded()

    stage = OutcomeStage(clock, settings, handoff)
    return ConsumerRunner(
        consumer,
        sessions,
        stage,
        OffsetCommitter(consumer, dead_letters, after_commit=wake),
        poll_stage=stage,
    )
