"""Turning outcomes into what each party is told: a stream entry per party, and a pending
delivery per (message, channel), created idempotently in the consumer's transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.contracts.posture import PostureChanged
from sosa.infra.clock import Clock
from sosa.infra.consumer_runner import ConsumerRunner, Decoded, OffsetCommitter
from sosa.infra.db import insert_ignoring_duplicates
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


async def distribute(
    session: AsyncSession,
    told: Sequence[tuple[str, Message]],
    *,
    now: datetime,
    escalation_margin: timedelta,
) -> int:
    """Tell each (party, message): its stream, then each channel that gets it; returns how many
    deliveries were created. A constant number of statements whatever the batch: the streams
    at once (`stream.append_all`, which locks the parties' streams in party order, so two
    writers never deadlock), the parties' channels at once, the deliveries at once. Each
    message is serialised once, for the streams and the deliveries alike."""
    if not told:
        return 0
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
    return await insert_ignoring_duplicates(session, tables.deliveries, rows)


async def record_deliveries(
    session: AsyncSession,
    events: Sequence[outcomes.OutcomeEvent],
    *,
    now: datetime,
    settings: NotifierSettings,
    traceparents: Mapping[str, str] | None = None,
) -> int:
    """Tell every party involved in each event what its role lets it know; each delivery keeps
    the trace of its event (`traceparents`, by event id) for its attempts to continue."""
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
        session, told, now=now, escalation_margin=timedelta(seconds=settings.escalation_margin_s)
    )


@dataclass(frozen=True, slots=True)
class OutcomeStage:
    """The notifier's outcome consumer on the consumer runner: a batch's posture changes are
    applied first (its outcomes come after them), then every party involved in each event is
    told. Idempotent: a stream entry and a delivery are keyed by the event, and a posture change
    only moves escalation points to what it sets. Returns how many deliveries it created."""

    clock: Clock
    settings: NotifierSettings
    name: str = "notifier"

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> OutcomeRead:
        return read_outcome(record)

    async def apply(
        self, session: AsyncSession, batch: Sequence[Decoded[OutcomeRead]]
    ) -> list[int]:
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
        created = await record_deliveries(
            session, events, now=now, settings=self.settings, traceparents=traces
        )
        return [created]


def runner(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: NotifierSettings,
    on_recorded: Callable[[], None],
    dead_letters: DeadLetters,
) -> ConsumerRunner[OutcomeRead, int]:
    """The outcome consumer: each batch's deliveries recorded in one transaction, the records
    that cannot be read or applied sent to the dead-letter topic, then the offsets committed and
    the dispatcher woken (`on_recorded`) when there is something to send."""

    def wake(created: Sequence[int]) -> None:
        if sum(created):
            on_recorded()

    return ConsumerRunner(
        consumer,
        sessions,
        OutcomeStage(clock, settings),
        OffsetCommitter(consumer, dead_letters, after_commit=wake),
    )
