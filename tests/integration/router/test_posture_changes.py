"""A posture change in the router against the real PostgreSQL: stored, published on the outcome
stream, the open requests it covers re-planned from its time on (timers already due kept, nothing
fired twice), other scopes' requests left alone, and new decisions made under it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa import rules
from sosa.contracts import commands, posture, topics
from sosa.decisions import facts_json
from sosa.decisions.config import RulesConfig
from sosa.decisions.replanning import replan
from sosa.infra.clock import AdjustableClock
from sosa.router import deadline_gauges, tables
from sosa.router.handlers import Handlers
from sosa.router.outputs import Output
from tests.integration.router.test_handlers import handle, submit

pytestmark = pytest.mark.db


def set_posture(scope: str, value: str) -> commands.SetPosture:
    return commands.SetPosture(
        command_id=str(uuid.uuid4()),
        request_id=posture.subject(scope),
        received_at=datetime.now(UTC),
        scope=scope,
        posture=value,  # type: ignore[arg-type]
        reason="exercise",
        set_by="sosa-operator",
    )


async def timers_of(sessions: async_sessionmaker[AsyncSession], request_id: str) -> list[Any]:
    t = tables.timers
    async with sessions() as session:
        query = select(t.c.kind, t.c.due_at, t.c.emitted_at).where(t.c.request_id == request_id)
        return sorted((await session.execute(query)).all(), key=lambda row: (row[1], row[0]))


def posture_events(outputs: list[Output]) -> list[dict[str, Any]]:
    return [
        json.loads(o.value)
        for o in outputs
        if o.topic == topics.OUTCOMES and dict(o.headers).get("ce_type") == posture.CHANGED.encode()
    ]


def findings(outputs: list[Output]) -> list[str]:
    return [
        f["reason"]
        for o in outputs
        if o.topic == topics.OUTCOMES
        for f in json.loads(o.value).get("decision", {}).get("findings", [])
    ]


async def test_a_posture_change_replans_open_requests_and_applies_to_new_ones(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    request_id = f"pc-{uuid.uuid4().hex[:8]}"
    submitted = await handle(sessions, handlers, submit(request_id, rating="DO-A1"))
    assert any("Posture peacetime" in reason for reason in findings(submitted))
    before = await timers_of(sessions, request_id)
    deadline = [row for row in before if row.kind == "deadline"]
    assert [row.kind for row in before].count("reminder") == 2  # half-way, one day before
    # a reminder already due and sent as a tick: it must survive the re-planning, as sent
    sent_at = datetime.now(UTC) - timedelta(minutes=5)
    async with sessions() as session, session.begin():
        await session.execute(
            tables.timers.insert().values(
                request_id=request_id, kind="reminder", due_at=sent_at, emitted_at=sent_at
            )
        )

    change = set_posture("global", "emergency")
    outputs = await handle(sessions, handlers, change)
    (event,) = posture_events(outputs)
    assert event["posture"] == "emergency"
    assert event["previous"] in {"peacetime", "emergency", "armed_conflict"}
    assert event["replanned"] >= 1
    assert event["settings"]["escalation_margin_working_days"] == 1

    after = await timers_of(sessions, request_id)
    assert [row for row in after if row.kind == "deadline"] == deadline, "the deadline stays"
    assert (("reminder", sent_at, sent_at)) in [tuple(row) for row in after]
    async with sessions() as session:
        record = (
            await session.execute(
                select(tables.requests.c.facts).where(tables.requests.c.request_id == request_id)
            )
        ).scalar_one()
    board = rules.PostureBoard(RulesConfig.load().postures, {"global": rules.Posture.EMERGENCY})
    planned = replan(facts_json.load(record), board, RulesConfig.load())
    assert planned is not None
    ahead = [row.due_at for row in after if row.kind == "reminder" and row.due_at > sent_at]
    assert ahead == [r for r in planned.reminders if r > change.received_at]
    assert [row.due_at for row in after if row.kind == "escalation"] == [
        planned.early_escalation_at
    ]

    # another scope's change leaves this US request alone; the same command again does nothing
    india = await handle(sessions, handlers, set_posture("IN", "armed_conflict"))
    assert await timers_of(sessions, request_id) == after
    assert posture_events(india)[0]["scope"] == "IN"

    newer = await handle(sessions, handlers, submit(f"pc-{uuid.uuid4().hex[:8]}", rating="DO-A1"))
    assert any("Posture emergency is in force for every partner" in r for r in findings(newer))
    await handle(sessions, handlers, set_posture("global", "peacetime"))
    await handle(sessions, handlers, set_posture("IN", "peacetime"))


def posture_series() -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["scope"], s.labels["posture"], s.labels["highlight"]): s.value
        for family in REGISTRY.collect()
        if family.name == "sosa_posture_level"
        for s in family.samples
    }


async def test_the_posture_gauge_shows_each_scope_in_force_with_its_highlight(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers, clock: AdjustableClock
) -> None:
    book = handlers.config.postures
    await deadline_gauges.update(sessions, clock, book)
    assert posture_series() == {("global", "peacetime", "none"): 0}

    await handle(sessions, handlers, set_posture("IN", "armed_conflict"))
    await handle(sessions, handlers, set_posture(rules.GLOBAL, "emergency"))
    await deadline_gauges.update(sessions, clock, book)
    assert posture_series() == {
        ("IN", "armed_conflict", "red"): 2,
        ("global", "emergency", "amber"): 1,
    }

    # back to peacetime for IN: its armed-conflict series is gone, not left standing
    await handle(sessions, handlers, set_posture("IN", "peacetime"))
    await deadline_gauges.update(sessions, clock, book)
    assert posture_series() == {
        ("IN", "peacetime", "none"): 0,
        ("global", "emergency", "amber"): 1,
    }
