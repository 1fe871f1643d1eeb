"""Intake's read model, built only from `sosa.outcomes.v1`: the timeline, each request's view,
who may see it (the parties the events name), and an audit row for each decision."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import fields

from aiokafka import AIOKafkaConsumer
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.infra import db
from sosa.infra.db import insert_ignoring_duplicates
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.decoding import read_outcomes
from sosa.intake import access, audit, tables
from sosa.intake.timeline import timeline_row
from sosa.intake.view_changes import ViewFacts, advance

log = logging.getLogger(__name__)
_views = tables.request_views
_FACT_COLUMNS = [_views.c[f.name] for f in fields(ViewFacts)]


async def apply_outcomes(session: AsyncSession, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Record each event in the timeline once and move each view forward, never backward."""
    if not events:
        return
    fresh = await _new_events(session, events)
    await insert_ignoring_duplicates(
        session, tables.request_timeline, [timeline_row(e) for e in events]
    )
    by_request: dict[str, list[outcomes.OutcomeEvent]] = {}
    for event in events:  # in the order of their partition: one request's order
        by_request.setdefault(event.request_id, []).append(event)
    # locked so that a second intake instance given the partition after a rebalance waits
    rows = (
        await session.execute(
            select(_views.c.request_id, *_FACT_COLUMNS)
            .where(_views.c.request_id.in_(by_request))
            .with_for_update()
        )
    ).all()
    await _grant_access(session, events, {row.request_id for row in rows})
    moved = []
    for row in rows:
        facts = ViewFacts(**{k: v for k, v in row._mapping.items() if k != "request_id"})
        before = facts.last_sequence
        for event in by_request[row.request_id]:
            facts = advance(facts, event)
        if facts.last_sequence != before:
            moved.append({"b_request_id": row.request_id, "b_before": before, **facts.columns()})
    if moved:
        await session.execute(_MOVE_VIEW, moved)
    # after the views: the audit head is the last lock a transaction takes (see audit.append)
    await audit.append_all(session, [_audit_entry(event) for event in fresh])


_MOVE_VIEW = (
    _views.update()
    .where(_views.c.request_id == bindparam("b_request_id"))
    .where(_views.c.last_sequence == bindparam("b_before"))
)
"""One view moved forward, unless another writer moved it first (executed for many at once)."""


async def _new_events(
    session: AsyncSession, events: Sequence[outcomes.OutcomeEvent]
) -> list[outcomes.OutcomeEvent]:
    """The events not yet in the timeline (a batch delivered again adds no audit row)."""
    timeline = tables.request_timeline
    seen = set(
        (
            await session.execute(
                select(timeline.c.event_id).where(
                    timeline.c.event_id.in_({e.event_id for e in events})
                )
            )
        ).scalars()
    )
    fresh = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            fresh.append(event)
    return fresh


async def _grant_access(
    session: AsyncSession, events: Sequence[outcomes.OutcomeEvent], known: set[str]
) -> None:
    """Every party an event names may see the request (liaison, authorities awaited)."""
    grants = [
        {"request_id": event.request_id, "party_id": party, "relation": relation}
        for event in events
        if event.request_id in known
        for party, relation in set(access.parties_of(event.parties))
    ]
    await insert_ignoring_duplicates(session, tables.request_access, grants)


def _audit_entry(event: outcomes.OutcomeEvent) -> audit.Entry:
    return audit.Entry(
        at=event.occurred_at,
        actor="sosa-router",
        kind=f"decision:{outcomes.type_of(event)}",
        request_id=event.request_id,
        details={
            "event_id": event.event_id,
            "state": str(event.state),
            "caused_by": event.caused_by,
            "outcome": event.decision.outcome,
            "command_actor": getattr(event, "actor", None),
        },
    )


async def run(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    dead_letters: DeadLetters,
) -> None:
    """Consume outcomes forever: apply each batch in one transaction, send the records that
    cannot be read to the dead-letter topic, then commit the offsets."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        for records in batches.values():
            read = read_outcomes(records)
            await _apply_until_done(sessions, read.events)
            await dead_letters.send(read.unreadable)  # retried until sent: offsets wait
        if batches:
            await consumer.commit()


async def _apply_until_done(
    sessions: async_sessionmaker[AsyncSession], events: Sequence[outcomes.OutcomeEvent]
) -> None:
    """Apply one partition's batch; while the database is down, try again (the offsets wait),
    so that intake keeps running and answering 503 instead of exiting."""
    backoff = 0.2
    while True:
        try:
            async with sessions() as session, session.begin():
                await apply_outcomes(session, events)
            return
        except db.UNAVAILABLE:
            log.exception("applying outcomes failed; will retry", extra={"backoff_s": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
