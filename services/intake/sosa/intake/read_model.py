"""Intake's read model, built only from `sosa.outcomes.v1`."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.infra.db import insert_ignoring_duplicates
from sosa.infra.decoding import outcomes_in
from sosa.intake import tables
from sosa.intake.schemas import RequestView, TimelineEntry


async def apply_outcomes(session: AsyncSession, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Record each event in the timeline once and move the view forward, never backward."""
    await insert_ignoring_duplicates(
        session,
        tables.request_timeline,
        [
            {
                "event_id": e.event_id,
                "request_id": e.request_id,
                "sequence": e.sequence,
                "state": e.state,
                "previous_state": getattr(e, "previous_state", None),
                "decision": e.decision.model_dump(mode="json"),
                "occurred_at": e.occurred_at,
            }
            for e in events
        ],
    )
    for event in events:
        await session.execute(
            tables.request_views.update()
            .where(tables.request_views.c.request_id == event.request_id)
            .where(tables.request_views.c.last_sequence < event.sequence)
            .values(
                state=event.state,
                path=event.path,
                decision=event.decision.model_dump(mode="json"),
                last_sequence=event.sequence,
                updated_at=event.occurred_at,
            )
        )


async def run(consumer: AIOKafkaConsumer, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Consume outcomes forever: apply each batch in one transaction, then commit the offsets."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        for records in batches.values():
            events = outcomes_in(records)
            async with sessions() as session, session.begin():
                await apply_outcomes(session, events)
        if batches:
            await consumer.commit()


async def load_view(session: AsyncSession, request_id: str) -> RequestView | None:
    """One request with its timeline, or None when intake has never accepted it."""
    view = (
        await session.execute(
            select(tables.request_views).where(tables.request_views.c.request_id == request_id)
        )
    ).one_or_none()
    if view is None:
        return None
    timeline = (
        await session.execute(
            select(tables.request_timeline)
            .where(tables.request_timeline.c.request_id == request_id)
            .order_by(tables.request_timeline.c.sequence)
        )
    ).all()
    return RequestView.model_validate(
        {
            **view._mapping,
            "timeline": [
                TimelineEntry.model_validate(row, from_attributes=True) for row in timeline
            ],
        }
    )
