"""The router's handlers against a real PostgreSQL database, without Kafka: commands in,
outcome events out, state and timers kept in the router's own tables."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import commands, topics
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra.clock import AdjustableClock
from sosa.router import tables, timers
from sosa.router.batch_state import BatchState
from sosa.router.handlers import Handlers, UnknownRequestError
from sosa.router.incoming import Incoming
from sosa.router.outputs import Output
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.router.router_support import message
from tests.unit.intake.builders import DOD_REGISTERED

pytestmark = pytest.mark.db


def submit(request_id: str, **overrides: Any) -> commands.SubmitRequest:
    details = PriorityRequestDetails.model_validate({**DPAS_REQUEST, **overrides})
    return commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id=request_id,
        received_at=datetime.now(UTC),
        details=details,
        registered=DOD_REGISTERED,  # as intake attaches it (#23)
    )


def respond(request_id: str, **response: Any) -> commands.RespondToRequest:
    return commands.RespondToRequest(
        command_id=str(uuid.uuid4()),
        request_id=request_id,
        received_at=datetime.now(UTC),
        response=commands.SupplierResponseDetails.model_validate(
            {"supplier_party_id": DPAS_REQUEST["supplier"]["party_id"], **response}
        ),
    )


async def handle(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers, command: commands.Command
) -> list[Output]:
    """One command as the processor decides it: the batch's state read, changed, written."""
    received = message(command)
    async with sessions() as session, session.begin():
        state = await BatchState.load(session, [received.id], [command.request_id])
        outputs = await handlers(session, state, Incoming(received, command))
        await state.flush(session)
        return outputs


def events(outputs: list[Output]) -> list[dict[str, Any]]:
    return [
        {"type": dict(o.headers)["ce_type"].decode(), **json.loads(o.value)}
        for o in outputs
        if o.topic == topics.OUTCOMES
    ]


async def test_submission_routes_records_state_and_sets_the_clock(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    outputs = await handle(sessions, handlers, submit("r-1"))
    [routed] = events(outputs)
    assert (routed["state"], routed["sequence"]) == ("routed", 1)
    assert [o.topic for o in outputs] == [topics.OUTCOMES]
    async with sessions() as session:
        row = (await session.execute(select(tables.requests))).one()
        due = (await session.execute(select(tables.timers.c.kind))).scalars().all()
    assert (row.state, row.sequence) == ("routed", 1)
    assert due.count("deadline") == 1
    assert due.count("reminder") >= 1


async def test_acceptance_moves_state_and_clears_the_timers(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    await handle(sessions, handlers, submit("r-2"))
    [accepted] = events(await handle(sessions, handlers, respond("r-2", kind="accept")))
    assert (accepted["state"], accepted["previous_state"], accepted["sequence"]) == (
        "accepted",
        "routed",
        2,
    )
    async with sessions() as session:
        assert (await session.execute(select(tables.timers))).first() is None


async def test_a_refused_answer_is_an_event_and_changes_no_state(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    await handle(sessions, handlers, submit("r-3"))
    [refused] = events(
        await handle(
            sessions, handlers, respond("r-3", kind="reject", reason="OR_C4_CUSTOMER_SELF_SUPPLIES")
        )
    )
    assert refused["type"] == "sosa.outcome.refused.v1"
    assert (refused["state"], refused["sequence"]) == ("routed", 2)
    async with sessions() as session:
        row = (await session.execute(select(tables.requests))).one()
        kinds = (await session.execute(select(tables.timers.c.kind))).scalars().all()
    assert (row.state, row.sequence) == ("routed", 2)
    assert "deadline" in kinds


async def test_deadline_tick_makes_it_overdue_and_escalates_once(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers, clock: AdjustableClock
) -> None:
    await handle(sessions, handlers, submit("r-4", rating="DX-A3"))
    async with sessions() as session:
        deadline = (
            await session.execute(
                select(tables.timers.c.due_at).where(tables.timers.c.kind == "deadline")
            )
        ).scalar_one()
    clock.advance(deadline - clock.now() + timedelta(minutes=1))
    tick = timers.tick_for("r-4", "deadline", deadline, now=clock.now())
    found = events(await handle(sessions, handlers, tick))
    assert [(e["type"], e["state"]) for e in found] == [
        ("sosa.outcome.transitioned.v1", "overdue"),
        ("sosa.outcome.escalated.v1", "overdue"),
    ]
    assert found[1]["facts"]["form"] == "BIS-999"
    assert await handle(sessions, handlers, tick) == [], "the timer is gone: a repeat does nothing"


async def test_the_same_timer_always_makes_the_same_tick() -> None:
    due = datetime(2026, 12, 10, 5, tzinfo=UTC)
    first = timers.tick_for("r", "reminder", due, now=datetime.now(UTC))
    second = timers.tick_for("r", "reminder", due, now=datetime.now(UTC) + timedelta(hours=1))
    assert first.command_id == second.command_id
    assert first.command_id != timers.tick_for("r", "deadline", due, now=due).command_id


async def test_a_command_for_an_unknown_request_is_an_error(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    with pytest.raises(UnknownRequestError):
        await handle(sessions, handlers, respond("never-submitted", kind="accept"))


@pytest.mark.parametrize("router_lag", [timedelta(0), timedelta(days=3, hours=7)])
async def test_a_schedule_change_restarts_the_clock_at_its_receipt_whatever_the_router_lag(
    sessions: async_sessionmaker[AsyncSession],
    handlers: Handlers,
    clock: AdjustableClock,
    router_lag: timedelta,
) -> None:
    """15 CFR 700.16(b): a significant schedule change is a new rated order as of its receipt.
    The router decides it as of intake's `received_at`, never its own processing time, so a
    router that lags past local midnight (here by days) gives the same legal deadline."""
    submitted = submit("r-6")
    await handle(sessions, handlers, submitted)
    received = submitted.received_at + timedelta(hours=2)
    change = commands.AmendRequest(
        command_id=str(uuid.uuid4()),
        request_id="r-6",
        received_at=received,
        amendment=commands.AmendmentDetails(
            issued_by=DPAS_REQUEST["requester"]["party_id"],
            kind="schedule_change",
            new_delivery_dates=["2027-02-01"],
        ),
    )
    clock.advance(router_lag)
    [restarted] = events(await handle(sessions, handlers, change))
    decision = restarted["decision"]
    assert datetime.fromisoformat(decision["clock_started_at"]) == received
    receipt_only = await _deadline_of_a_fresh_request_received_at(sessions, handlers, received)
    assert decision["deadline"] == receipt_only


async def _deadline_of_a_fresh_request_received_at(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers, received: datetime
) -> str:
    """The deadline the rules give a DO order received at `received` (a new rated order)."""
    fresh = submit("r-6-fresh")
    fresh = fresh.model_copy(update={"received_at": received})
    [routed] = events(await handle(sessions, handlers, fresh))
    deadline: str = routed["decision"]["deadline"]
    return deadline
