"""Attempts recorded in batches (recording.record_all through the dispatcher's group commit),
against a real receiver and the real database: delivered and failed attempts of one round end
exactly as when each was recorded alone, with one attempt row and one `sosa.deliveries.v1`
record each."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import uvicorn
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sosa.notifier import deliveries, tables
from sosa.notifier.dispatcher import Dispatcher
from sosa.notifier.settings import NotifierSettings
from sosa.notifier.ssrf import guarded_client
from tests.e2e.stack import free_port
from tests.integration.notifier.conftest import MovableClock
from tests.integration.notifier.test_notifier_clock import routed

pytestmark = [pytest.mark.db]
SETTINGS = NotifierSettings(
    webhook_allowed_networks=[ipaddress.ip_network("127.0.0.0/8")],
    operator_parties=["ops"],
    retry_jitter=0,
    endpoint_concurrency=32,
)
EVENTS = 24


@pytest.fixture
async def receiver() -> AsyncIterator[str]:
    """204 for events whose id ends in an odd digit, 500 for the others."""
    port = free_port()

    async def hook(request: Request) -> Response:
        await asyncio.sleep(0.01)
        return Response(status_code=204 if int(request.headers["webhook-id"][-1]) % 2 else 500)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/hook"
    server.should_exit = True
    await task


def recorded_in_batches() -> float:
    return (
        REGISTRY.get_sample_value(
            "sosa_batch_size_sum", {"service": "notifier", "stage": "group_commit"}
        )
        or 0.0
    )


async def test_a_round_of_attempts_is_recorded_as_each_alone_would_be(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: str
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            tables.endpoints.insert().values(
                endpoint_id="e1", party_id="acme", url=receiver, secret="whsec_" + "A" * 44,
                enabled=True, created_at=clock.now(), mode="all", failure_streak=0,
            )
        )  # fmt: skip
        events = [
            routed(clock, timedelta(days=3)).model_copy(update={"event_id": f"evt-{n:02d}"})
            for n in range(EVENTS)
        ]
        await deliveries.record_deliveries(session, events, now=clock.now(), settings=SETTINGS)
    before = recorded_in_batches()
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        assert await dispatcher.dispatch_due() == EVENTS
        await dispatcher.drain()
    assert recorded_in_batches() - before == EVENTS, "every attempt went through the batches"

    d = tables.deliveries
    async with sessions() as session:
        rows = (
            await session.execute(
                select(d.c.event_id, d.c.status, d.c.attempts, d.c.next_attempt_at)
            )
        ).all()
        attempts = (
            await session.execute(select(func.count()).select_from(tables.attempts))
        ).scalar_one()
        published = (
            await session.execute(select(func.count()).select_from(tables.outbox))
        ).scalar_one()
    for row in rows:
        delivered = int(row.event_id[-1]) % 2 == 1
        retry_at = clock.now() + timedelta(seconds=SETTINGS.retry_schedule_s[1])
        expected = ("delivered", 1, None) if delivered else ("pending", 1, retry_at)
        assert (row.status, row.attempts, row.next_attempt_at) == expected, row.event_id
    assert attempts == EVENTS
    assert published == EVENTS, "one sosa.deliveries.v1 record per attempt"


async def test_a_delivered_round_clears_its_endpoints_failure_streaks_and_no_others(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: str
) -> None:
    """On PostgreSQL the streaks are cleared in the round's one statement (`_DELIVERED`), on
    SQLite by a statement of their own: either way only the endpoints that were delivered to."""
    e = tables.endpoints
    failing_since = clock.now() - timedelta(hours=1)
    async with sessions() as session, session.begin():
        for endpoint_id, party_id in (("e1", "acme"), ("e2", "other")):
            await session.execute(
                e.insert().values(
                    endpoint_id=endpoint_id, party_id=party_id, url=receiver,
                    secret="whsec_" + "A" * 44, enabled=True, created_at=clock.now(),
                    mode="all", failure_streak=3, failing_since=failing_since,
                )
            )  # fmt: skip
        events = [  # odd ids: the receiver answers 204
            routed(clock, timedelta(days=3)).model_copy(update={"event_id": f"evt-{n:02d}"})
            for n in range(1, 8, 2)
        ]
        await deliveries.record_deliveries(session, events, now=clock.now(), settings=SETTINGS)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        assert await dispatcher.dispatch_due() == len(events)
        await dispatcher.drain()
    async with sessions() as session:
        streaks = {
            row.endpoint_id: (row.failure_streak, row.failing_since)
            for row in await session.execute(
                select(e.c.endpoint_id, e.c.failure_streak, e.c.failing_since)
            )
        }
        statuses = set((await session.scalars(select(tables.deliveries.c.status))).all())
    assert statuses == {"delivered"}
    assert streaks == {"e1": (0, None), "e2": (3, failing_since)}
