"""Time moved, not waited for: the real retry schedule (5 s, 5 min, …) and the escalation 24 h
before a deadline, driven by a movable clock against a real receiver and the real database."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sosa.contracts.outcomes import DecisionRecord, Parties, RequestTransitioned
from sosa.contracts.states import RequestState, RoutePath
from sosa.notifier import deliveries, escalation, tables
from sosa.notifier.dispatcher import Dispatcher
from sosa.notifier.settings import NotifierSettings
from sosa.notifier.ssrf import guarded_client
from tests.e2e.stack import free_port
from tests.integration.notifier.conftest import MovableClock

pytestmark = [pytest.mark.db]
SETTINGS = NotifierSettings(
    webhook_allowed_networks=[ipaddress.ip_network("127.0.0.0/8")],
    operator_parties=["ops"],
    retry_jitter=0,
)


@pytest.fixture
async def failing_receiver() -> AsyncIterator[tuple[str, list[int]]]:
    port, statuses = free_port(), [500, 500]

    async def hook(_: Request) -> Response:
        return Response(status_code=statuses.pop(0) if statuses else 204)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/hook", statuses
    server.should_exit = True
    await task


def routed(clock: MovableClock, deadline_in: timedelta) -> RequestTransitioned:
    return RequestTransitioned(
        event_id="evt-1",
        request_id="req-1",
        sequence=1,
        state=RequestState.ROUTED,
        previous_state=RequestState.RECEIVED,
        path=RoutePath.DPAS,
        decision=DecisionRecord(
            outcome="dpas", deadline=clock.now() + deadline_in, ruleset_version="v"
        ),
        parties=Parties(requester="dod", supplier="acme"),
        caused_by="c",
        occurred_at=clock.now(),
    )


async def subscribe(
    sessions: async_sessionmaker[AsyncSession], url: str, clock: MovableClock
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            tables.endpoints.insert().values(
                endpoint_id="e1", party_id="acme", url=url, secret="whsec_" + "A" * 44,
                enabled=True, created_at=clock.now(), mode="all", failure_streak=0,
            )
        )  # fmt: skip
        await session.execute(
            tables.email_recipients.insert().values(
                recipient_id="m1", party_id="acme", address="a@acme.example", mode="fallback",
                enabled=True, created_at=clock.now(),
            )
        )  # fmt: skip


@asynccontextmanager
async def one_routed_delivery(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, url: str
) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """acme subscribed at `url` (and by e-mail), one routed request due in 3 days told; yields
    one round of the dispatcher: start what is due, wait for it, say how many were started."""
    await subscribe(sessions, url, clock)
    async with sessions() as session, session.begin():
        await deliveries.record_deliveries(
            session, [routed(clock, timedelta(days=3))], now=clock.now(), settings=SETTINGS
        )
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)

        async def attempt() -> int:
            sent = await dispatcher.dispatch_due()
            await dispatcher.drain()
            return sent

        yield attempt


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    d = tables.deliveries
    async with sessions() as session:
        rows = (await session.execute(select(d.c.channel, d.c.status, d.c.attempts))).all()
    return {row.channel: (row.status, row.attempts) for row in rows}


async def test_the_retry_schedule_and_the_escalation_follow_the_clock(
    sessions: async_sessionmaker[AsyncSession],
    clock: MovableClock,
    failing_receiver: tuple[str, list[int]],
) -> None:
    url, _ = failing_receiver
    async with one_routed_delivery(sessions, clock, url) as attempt:
        assert await attempt() == 1  # immediately: HTTP 500
        assert await attempt() == 0  # the next one is 5 s away
        clock.advance(seconds=5)
        assert await attempt() == 1  # HTTP 500 again; the next is 5 min away
        assert await statuses(sessions) == {"webhook": ("pending", 2)}

        async with sessions() as session, session.begin():
            assert await escalation.escalate_due(session, SETTINGS, clock.now()) == 0
        clock.advance(days=2, seconds=1)  # now less than 24 h before the deadline
        async with sessions() as session, session.begin():
            assert await escalation.escalate_due(session, SETTINGS, clock.now()) == 1
        async with sessions() as session, session.begin():
            assert await escalation.escalate_due(session, SETTINGS, clock.now()) == 0

        assert await statuses(sessions) == {"webhook": ("pending", 2), "email": ("pending", 0)}
        assert await attempt() >= 1  # the webhook's third attempt (204) and the e-mail
    async with sessions() as session:
        notices = (
            (
                await session.execute(
                    select(tables.stream_events.c.event_type).where(
                        tables.stream_events.c.party_id == "ops"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert "operator.delivery_escalated" in notices
