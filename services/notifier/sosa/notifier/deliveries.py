"""Turning outcomes into delivery rows: one per (event, endpoint), created idempotently."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.infra.clock import Clock
from sosa.infra.db import insert_ignoring_duplicates
from sosa.infra.decoding import outcomes_in
from sosa.notifier import fanout, tables

_DELIVERY_NAMESPACE = uuid.UUID("8f0c5a8e-7d1b-4c55-9a4e-2b0d6c1f3e90")


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The same event for the same endpoint always gets the same delivery id."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{event_id}/{endpoint_id}"))


async def record_deliveries(
    session: AsyncSession, events: Sequence[outcomes.OutcomeEvent], *, now: datetime
) -> int:
    """Create the pending deliveries of each event for every enabled, interested endpoint."""
    rows: list[dict[str, Any]] = []
    for event in events:
        parties = fanout.recipients(event)
        type_ = fanout.event_type(event)
        body = json.dumps(fanout.webhook_body(event), separators=(",", ":"))
        endpoints = (
            await session.execute(
                select(tables.endpoints).where(
                    tables.endpoints.c.party_id.in_(list(parties)),
                    tables.endpoints.c.enabled.is_(True),
                )
            )
        ).all()
        rows.extend(
            {
                "delivery_id": delivery_id(event.event_id, endpoint.endpoint_id),
                "event_id": event.event_id,
                "endpoint_id": endpoint.endpoint_id,
                "request_id": event.request_id,
                "party_id": endpoint.party_id,
                "event_type": type_,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint in endpoints
            if fanout.wants(endpoint.event_types, type_)
        )
    return await insert_ignoring_duplicates(session, tables.deliveries, rows)


async def consume(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    on_recorded: Callable[[], None],
) -> None:
    """Consume outcomes forever: record each batch's deliveries, commit, then commit offsets."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        created = 0
        for records in batches.values():
            async with sessions() as session, session.begin():
                created += await record_deliveries(session, outcomes_in(records), now=clock.now())
        if batches:
            await consumer.commit()
        if created:
            on_recorded()
