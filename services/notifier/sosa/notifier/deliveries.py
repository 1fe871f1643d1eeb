"""Turning outcomes into what each party is told: a stream entry per party, and a pending
delivery per (message, channel), created idempotently in the consumer's transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.infra.clock import Clock
from sosa.infra.db import insert_ignoring_duplicates
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.decoding import ReadOutcomes, read_outcomes
from sosa.notifier import channels, fanout, postures, stream, tables
from sosa.notifier.channels import Channel
from sosa.notifier.messages import Message, outcome_message
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
) -> dict[str, Any]:
    """The values of one pending delivery of `message` over `channel`."""
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
        "payload": message.payload(),
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
    deliveries were created. Streams are written in party order, so that two writers always take
    the parties' stream locks in the same order and never deadlock."""
    for party_id, message in sorted(told, key=lambda pair: pair[0]):
        await stream.append(session, party_id, message, now=now)
    rows: list[dict[str, Any]] = []
    in_force = await postures.in_force(session) if told else {}
    for party_id, message in told:
        party_channels = await channels.of_party(session, party_id)
        # a message about a response clock is escalated when not delivered well before its
        # deadline: `escalate_at` is that moment (earlier under a posture)
        factors = postures.for_partner(in_force, message.partner_country)
        margin = escalation_margin / factors.second_channel
        escalate_at = message.deadline - margin if message.deadline else None
        rows.extend(
            delivery_row(ch, party_id, message, now=now, escalate_at=escalate_at)
            for ch in channels.first_choice(party_channels, message.event_type)
        )
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
    told = [
        (party_id, outcome_message(event, role, traceparent=traces.get(event.event_id)))
        for event in events
        for party_id, role in fanout.recipients(event, settings.operator_parties).items()
    ]
    return await distribute(
        session, told, now=now, escalation_margin=timedelta(seconds=settings.escalation_margin_s)
    )


async def consume(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: NotifierSettings,
    on_recorded: Callable[[], None],
    dead_letters: DeadLetters,
) -> None:
    """Consume outcomes forever: record each batch's deliveries and commit, send the records
    that cannot be read to the dead-letter topic, then commit the offsets."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        created = 0
        for records in batches.values():
            read = read_outcomes(records)
            created += await _record_until_done(read, sessions, clock, settings)
            await dead_letters.send(read.unreadable)  # retried until sent: offsets wait
        if batches:
            await consumer.commit()
        if created:
            on_recorded()


async def _record_until_done(
    read: ReadOutcomes,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: NotifierSettings,
) -> int:
    """Record one partition's batch; a database error is retried (offsets wait meanwhile)."""
    backoff = 0.2
    while True:
        try:
            async with sessions() as session, session.begin():
                now = clock.now()
                if read.postures:  # before the batch's outcomes: they come after the change
                    margin = timedelta(seconds=settings.escalation_margin_s)
                    await postures.apply_changes(
                        session, read.postures, now=now, escalation_margin=margin
                    )
                return await record_deliveries(
                    session,
                    read.events,
                    now=now,
                    settings=settings,
                    traceparents=read.traceparents,
                )
        except (DBAPIError, OSError):
            log.exception("recording deliveries failed; will retry", extra={"backoff_s": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
