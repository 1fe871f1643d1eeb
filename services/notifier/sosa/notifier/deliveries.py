"""Turning outcomes into what each party is told: a stream entry per party, and a pending
delivery per (message, channel), created idempotently in the consumer's transaction; the new
deliveries this process's dispatcher has room for are written already claimed by it and handed
to it after the commit (`Handoff`), so that a steady stream needs no claim transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.contracts.posture import PostureChanged
from sosa.infra.clock import Clock
from sosa.infra.consumer_runner import ConsumerRunner, Decoded, OffsetCommitter
from sosa.infra.db import insert_new
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
        self, session: AsyncSession, ids: Sequence[str], now: datetime
    ) -> list[Any]: ...

    def take(self, rows: Sequence[Any]) -> None: ...


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
    allowing: `Handoff.choose_handed`), with the lease a claim takes. A constant number of
    statements whatever the batch: the streams at once (`stream.append_all`, which locks the
    parties' streams in party order, so two writers never deadlock), the parties' channels at
    once, the deliveries at once (and, with `handoff`, the claimed ones read back with their
    channels at once). Each message is serialised once, for the streams and the deliveries
    alike."""
    if not told:
        return Written()
    payloads = {id(message): message.payload() for _, message in told}
    await stream.append_all(
        session,
        [
            (party_id, message, payloads[id(message)])
            for party_id, message in sorted(told, key=lambda pair: pair[0])
        ],
        now=now,
    )
    rows: list[dict[str, Any]] = []
    in_force = await postures.in_force(session)
    party_channels = await channels.of_parties(session, (party_id for party_id, _ in told))
    for party_id, message in told:
        # a message about a response clock is escalated when not delivered well before its
        # deadline: `escalate_at` is that moment (earlier under a posture)
        factors = postures.for_partner(in_force, message.partner_country)
        margin = escalation_margin / factors.second_channel
        escalate_at = message.deadline - margin if message.deadline else None
        rows.extend(
            delivery_row(
                ch, party_id, message, now=now, escalate_at=escalate_at,
                payload=payloads[id(message)],
            )
            for ch in channels.first_choice(party_channels[party_id], message.event_type)
        )  # fmt: skip
    chosen = handoff.choose_handed(rows) if handoff is not None and rows else set()
    if chosen and handoff is not None:
        leased_until = handoff.lease_until(now)
        for row in rows:
            if row["delivery_id"] in chosen:
                row["next_attempt_at"] = leased_until
    new = {key for (key,) in await insert_new(session, tables.deliveries, rows, ["delivery_id"])}
    if not chosen or handoff is None:
        return Written(len(new))
    # a delivery that was there already (a redelivered outcome) keeps its own lease or none
    ids = [row["delivery_id"] for row in rows if row["delivery_id"] in chosen & new]
    return Written(len(new), await handoff.claim_handed(session, ids, now))


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
        written = await record_deliveries(
            session,
            events,
            now=now,
            settings=self.settings,
            traceparents=traces,
            handoff=self.handoff,
        )
        return [written]


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

    return ConsumerRunner(
        consumer,
        sessions,
        OutcomeStage(clock, settings, handoff),
        OffsetCommitter(consumer, dead_letters, after_commit=wake),
    )
