"""Claiming ahead (`sosa.notifier.dispatcher`), on the real database with a movable clock and a real
receiver: one claim takes a channel's limit times `claim_ahead` deliveries under one lease (timeout
x claim-ahead + margin); a notifier that dies holding them leaves them to another once that lease
has run out, under the same `webhook-id`s; a channel answering quickly holds `FAST_FACTOR` times
that, and its usual share again for a lease's time after an attempt that went unanswered; a queued
delivery whose party is disabled meanwhile is not sent; and telling a batch of outcomes costs as
many statements for 30 outcomes as for 3."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import uvicorn
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sosa.notifier import deliveries, tables
from sosa.notifier.dispatcher import FAST_FACTOR, RECHECK_S, Dispatcher
from sosa.notifier.settings import NotifierSettings
from sosa.notifier.ssrf import guarded_client
from tests.e2e.stack import free_port
from tests.integration.notifier.conftest import MovableClock
from tests.integration.notifier.test_notifier_clock import routed, subscribe
from tests.integration.notifier.test_notifier_paused_parties import set_disabled

pytestmark = [pytest.mark.db]
SETTINGS = NotifierSettings(
    webhook_allowed_networks=[ipaddress.ip_network("127.0.0.0/8")],
    operator_parties=["ops"],
    retry_jitter=0,
    endpoint_concurrency=2,
    claim_ahead=3,
    webhook_timeout_s=5,
    lease_margin_s=1,
)
LEASE = timedelta(seconds=5 * 3 + 1)
d = tables.deliveries


@dataclass
class Receiver:
    """Answers 204, except that the first `held` requests wait until `release` is set."""

    url: str = ""
    held: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    ids: list[str] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port, found = free_port(), Receiver()

    async def hook(request: Request) -> Response:
        found.ids.append(request.headers["webhook-id"])
        if len(found.ids) <= found.held:
            await found.release.wait()
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    found.url = f"http://127.0.0.1:{port}/hook"
    yield found
    found.release.set()
    server.should_exit = True
    await task


async def told(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, count: int
) -> list[str]:
    """`count` routed outcomes told (acme's endpoint gets each); their event ids."""
    events = [
        routed(clock, timedelta(days=3)).model_copy(
            update={"event_id": f"evt-{n:02d}", "request_id": f"req-{n:02d}"}
        )
        for n in range(count)
    ]
    async with sessions() as session, session.begin():
        await deliveries.record_deliveries(session, events, now=clock.now(), settings=SETTINGS)
    return [e.event_id for e in events]


async def leases(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object]:
    async with sessions() as session:
        rows = await session.execute(select(d.c.event_id, d.c.next_attempt_at))
        return {row.event_id: row.next_attempt_at for row in rows}


async def until(condition: Callable[[], bool], *, timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - polls what the receiver has seen
            await asyncio.sleep(0.02)


def attempts_under_way() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Dispatcher._deliver"
    ]


async def test_a_dead_notifiers_claims_are_taken_over_once_their_lease_has_run_out(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    ids = await told(sessions, clock, 7)
    receiver.held = 2  # the first notifier's two attempts never get an answer
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        first = Dispatcher(sessions, client, SETTINGS, clock)
        assert await first.dispatch_due() == 6, "the limit (2) times the claim-ahead (3)"
        await until(lambda: len(receiver.ids) == 2)
        leased = await leases(sessions)
        assert sorted(at for at in leased.values()) == [clock.now()] + [clock.now() + LEASE] * 6
        for task in attempts_under_way():  # killed: no lease handed back, the queue lost
            task.cancel()
        await asyncio.gather(*attempts_under_way(), return_exceptions=True)

        second = Dispatcher(sessions, client, SETTINGS, clock)
        assert await second.dispatch_due() == 1, "only the one nobody holds"
        await second.drain()
        clock.advance(seconds=LEASE.total_seconds() - 1)
        assert await second.dispatch_due() == 0, "the dead one's lease still runs"
        clock.advance(seconds=1)
        assert await second.dispatch_due() == 6, "taken over"
        await second.drain()
    async with sessions() as session:
        rows = (await session.execute(select(d.c.event_id, d.c.status, d.c.attempts))).all()
    assert sorted(rows) == [(event_id, "delivered", 1) for event_id in ids]
    cut_off = receiver.ids[:2]
    assert sorted(receiver.ids) == sorted([*ids, *cut_off]), "again under the same webhook-ids"


async def test_a_channel_answering_quickly_holds_more_until_an_attempt_goes_unanswered(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    ids = await told(sessions, clock, 80)
    usual, fast = 2 * 3, 2 * 3 * FAST_FACTOR  # the limit (2) times the claim-ahead (3)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        assert await dispatcher.dispatch_due() == usual, "no attempt seen yet: its usual share"
        await dispatcher.drain()
        assert await dispatcher.dispatch_due() == fast, "answered within the timeout / 4"
        await dispatcher.drain()
        async with sessions() as session, session.begin():  # nothing listens there
            closed = f"http://127.0.0.1:{free_port()}/hook"
            await session.execute(tables.endpoints.update().values(url=closed))
        assert await dispatcher.dispatch_due() == fast
        await dispatcher.drain()  # every attempt refused: retried in 5 s
        async with sessions() as session, session.begin():
            await session.execute(tables.endpoints.update().values(url=receiver.url))
        clock.advance(seconds=SETTINGS.retry_schedule_s[1])
        assert await dispatcher.dispatch_due() == usual, "unanswered: its usual share"
        await dispatcher.drain()
        clock.advance(seconds=LEASE.total_seconds() - SETTINGS.retry_schedule_s[1] - 1)
        assert await dispatcher.dispatch_due() == usual, "for a lease's time"
        await dispatcher.drain()
        clock.advance(seconds=1)
        assert await dispatcher.dispatch_due() == fast, "then fast again"
        await dispatcher.drain()
        assert await dispatcher.dispatch_due() == 80 - 2 * fast - 3 * usual, "the rest"
        await dispatcher.drain()
    async with sessions() as session:
        rows = (await session.execute(select(d.c.event_id, d.c.status))).all()
    assert sorted(rows) == [(event_id, "delivered") for event_id in ids]


async def test_a_queued_delivery_whose_party_is_disabled_meanwhile_is_not_sent(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    await set_disabled(sessions, clock, False)
    ids = await told(sessions, clock, 4)
    receiver.held = 2
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        assert await dispatcher.dispatch_due() == 4
        await until(lambda: len(receiver.ids) == 2)  # two under way, two queued
        await set_disabled(sessions, clock, True)
        clock.advance(seconds=RECHECK_S + 0.1)
        receiver.release.set()  # the two under way finish
        await dispatcher.drain()
        assert await dispatcher.dispatch_due() == 0  # checked again: let go, not claimed
        await dispatcher.drain()
        assert len(receiver.ids) == 2
        async with sessions() as session:
            rows = await session.execute(select(d.c.status, d.c.attempts, d.c.next_attempt_at))
            assert sorted(tuple(row) for row in rows) == [
                ("delivered", 1, None),
                ("delivered", 1, None),
                ("pending", 0, clock.now()),  # handed back: due as soon as the party is enabled
                ("pending", 0, clock.now()),
            ]
        await set_disabled(sessions, clock, False)
        assert await dispatcher.dispatch_due() == 2
        await dispatcher.drain()
    assert sorted(receiver.ids) == sorted(ids)


async def test_telling_30_outcomes_takes_as_many_statements_as_telling_3(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            tables.endpoints.insert().values(
                endpoint_id="e1", party_id="acme", url="https://acme.example/hook",
                secret="whsec_" + "A" * 44, enabled=True, created_at=clock.now(), mode="all",
                failure_streak=0,
            )
        )  # fmt: skip
    engine = sessions.kw["bind"].sync_engine
    counted: list[str] = []

    def count(*args: object) -> None:
        counted.append(str(args[2]))

    async def statements_to_tell(first: int, count_: int) -> int:
        events = [
            routed(clock, timedelta(days=3)).model_copy(
                update={"event_id": f"evt-{n:03d}", "request_id": f"req-{n:03d}"}
            )
            for n in range(first, first + count_)
        ]
        counted.clear()
        async with sessions() as session, session.begin():
            created = await deliveries.record_deliveries(
                session, events, now=clock.now(), settings=SETTINGS
            )
        assert created.created == count_  # acme's endpoint gets each
        return len([s for s in counted if not s.startswith(("BEGIN", "COMMIT", "SELECT 1"))])

    event.listen(engine, "before_cursor_execute", count)
    try:
        await statements_to_tell(0, 2)  # the parties' streams begin
        small = await statements_to_tell(100, 3)
        large = await statements_to_tell(200, 30)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large
    async with sessions() as session:
        seqs = (
            await session.execute(
                select(tables.stream_events.c.seq)
                .where(tables.stream_events.c.party_id == "acme")
                .order_by(tables.stream_events.c.seq)
            )
        ).scalars()
        assert list(seqs) == list(range(1, 36)), "each party's stream numbered without a gap"


async def test_a_clean_stop_records_the_attempts_answered_and_hands_back_only_the_rest(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    """Answered attempts wait `record_linger_s` to be recorded together; a stop meanwhile lets
    them be recorded (the next notifier would send them again), and hands back only what is
    still under way after `STOP_GRACE_S`."""
    await subscribe(sessions, receiver.url, clock)
    ids = await told(sessions, clock, 5)
    receiver.held = 1  # one attempt stays under way past the grace: it is handed back
    # an attempt outlasts the stop's grace; answered ones wait longer than that to be recorded
    lingering = SETTINGS.model_copy(update={"record_linger_s": 60.0, "webhook_timeout_s": 30.0})
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, lingering, clock)
        running = asyncio.create_task(dispatcher.run())
        await until(lambda: len(receiver.ids) == 5)  # four answered, one held
        lease = timedelta(seconds=30 * 3 + 1)
        assert set((await leases(sessions)).values()) == {clock.now() + lease}, "none recorded"
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    async with sessions() as session:
        rows = (await session.execute(select(d.c.event_id, d.c.status, d.c.attempts))).all()
    held = receiver.ids[0]
    assert sorted(rows) == sorted(
        (event_id, "pending", 0) if event_id == held else (event_id, "delivered", 1)
        for event_id in ids
    )
    assert (await leases(sessions))[held] == clock.now(), "handed back: due at once"
