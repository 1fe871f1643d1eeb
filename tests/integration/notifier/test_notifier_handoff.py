"""The outcome consumer writing new deliveries already claimed by its process's dispatcher
(`deliveries.distribute(handoff=...)`, `Dispatcher.choose_handed` / `claim_handed` / `take`), on
the real database with a movable clock and a real receiver: what the dispatcher has room for is
written under a claim's lease and sent without a claim transaction, the rest is left due for a
claim; a notifier that dies before taking them leaves them to another once the lease has run out,
under the same `webhook-id`s; one that stops cleanly hands them back; a redelivered outcome is
not handed again; a disabled party's deliveries are not handed (they wait, paused)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest
from aiokafka.structs import TopicPartition
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra.consumer_runner import Decoded
from sosa.infra.decoding import OutcomeRead
from sosa.notifier import deliveries, tables
from sosa.notifier.dispatcher import Dispatcher
from sosa.notifier.ssrf import guarded_client
from tests.integration.notifier import test_notifier_claim_ahead as claim_ahead
from tests.integration.notifier.conftest import MovableClock
from tests.integration.notifier.test_notifier_claim_ahead import (
    LEASE,
    SETTINGS,
    Receiver,
    leases,
    until,
)
from tests.integration.notifier.test_notifier_clock import routed, subscribe
from tests.integration.notifier.test_notifier_paused_parties import set_disabled

pytestmark = [pytest.mark.db]
d = tables.deliveries
receiver = claim_ahead.receiver  # the fixture: a real receiver answering 204


async def told_handed(
    sessions: async_sessionmaker[AsyncSession],
    clock: MovableClock,
    dispatcher: Dispatcher,
    count: int,
    *,
    first: int = 0,
) -> deliveries.Written:
    """`count` routed outcomes told in one consumer transaction, handing `dispatcher` what it
    has room for (acme's endpoint gets each)."""
    events = [
        routed(clock, timedelta(days=3)).model_copy(
            update={"event_id": f"evt-{n:02d}", "request_id": f"req-{n:02d}"}
        )
        for n in range(first, first + count)
    ]
    async with sessions() as session, session.begin():
        return await deliveries.record_deliveries(
            session, events, now=clock.now(), settings=SETTINGS, handoff=dispatcher
        )


def claims_counted(sessions: async_sessionmaker[AsyncSession], found: list[str]) -> Any:
    """Listens for the claim's statement (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL,
    the due deliveries ordered by `next_attempt_at` on both)."""
    engine = sessions.kw["bind"].sync_engine

    def count(*args: object) -> None:
        statement = str(args[2])
        if statement.startswith("SELECT") and "ORDER BY deliveries.next_attempt_at" in statement:
            found.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return lambda: event.remove(engine, "before_cursor_execute", count)


async def test_what_the_dispatcher_has_room_for_is_written_claimed_and_sent_without_a_claim(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        written = await told_handed(sessions, clock, dispatcher, 7)
        assert written.created == 7
        assert len(written.claimed) == 6, "the endpoint's limit (2) times the claim-ahead (3)"
        leased = await leases(sessions)
        assert sorted(leased.values()) == [clock.now()] + [clock.now() + LEASE] * 6
        handed = {row.event_id for row in written.claimed}
        claims: list[str] = []
        stop_counting = claims_counted(sessions, claims)
        try:
            dispatcher.take(written.claimed)
            await until(lambda: len(receiver.ids) == 6)
            await dispatcher.drain()
        finally:
            stop_counting()
        assert claims == [], "sent without a claim"
        assert sorted(receiver.ids) == sorted(handed)
        assert await dispatcher.dispatch_due() == 1, "the one it had no room for is claimed"
        await dispatcher.drain()
    async with sessions() as session:
        rows = (await session.execute(select(d.c.status, d.c.attempts))).all()
    assert sorted(rows) == [("delivered", 1)] * 7
    assert len(receiver.ids) == 7


async def test_a_dead_notifiers_handed_deliveries_are_taken_over_once_their_lease_has_run_out(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        first = Dispatcher(sessions, client, SETTINGS, clock)
        written = await told_handed(sessions, clock, first, 7)
        assert len(written.claimed) == 6  # committed, then killed before `take`

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
    assert sorted(rows) == [(f"evt-{n:02d}", "delivered", 1) for n in range(7)]
    assert sorted(receiver.ids) == [f"evt-{n:02d}" for n in range(7)], "each once"


async def test_a_clean_stop_hands_back_the_deliveries_written_for_it_and_not_yet_taken(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        running = asyncio.create_task(dispatcher.run())
        await asyncio.sleep(0)
        written = await told_handed(sessions, clock, dispatcher, 3)
        assert len(written.claimed) == 3
        running.cancel()  # stopped before the consumer's commit of its offsets hands them over
        await asyncio.gather(running, return_exceptions=True)
        dispatcher.take(written.claimed)  # too late: nothing is sent from a stopped dispatcher
        await dispatcher.drain()
    assert receiver.ids == []
    assert set((await leases(sessions)).values()) == {clock.now()}, "handed back: due at once"


async def test_a_redelivered_outcome_is_not_handed_again(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        first = Dispatcher(sessions, client, SETTINGS, clock)
        assert len((await told_handed(sessions, clock, first, 2)).claimed) == 2
        before = await leases(sessions)
        second = Dispatcher(sessions, client, SETTINGS, clock)
        again = await told_handed(sessions, clock, second, 2)
        assert (again.created, again.claimed) == (0, []), "the first one's leases stand"
        assert await leases(sessions) == before


async def test_a_disabled_partys_deliveries_are_not_handed_and_wait_paused(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    await set_disabled(sessions, clock, True)
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        written = await told_handed(sessions, clock, dispatcher, 2)
        assert (written.created, written.claimed) == (2, [])
        assert set((await leases(sessions)).values()) == {clock.now()}, "due, not leased"
        assert await dispatcher.dispatch_due() == 0, "paused"
        await set_disabled(sessions, clock, False)
        assert await dispatcher.dispatch_due() == 2
        await dispatcher.drain()
    assert sorted(receiver.ids) == ["evt-00", "evt-01"]


async def test_a_clean_stop_leaves_alone_what_a_rolled_back_write_had_meant_to_hand_it(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    await subscribe(sessions, receiver.url, clock)
    events = [routed(clock, timedelta(days=3)).model_copy(update={"event_id": "evt-00"})]
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        first = Dispatcher(sessions, client, SETTINGS, clock)

        async def written_then_rolled_back() -> None:
            async with sessions() as session, session.begin():
                written = await deliveries.record_deliveries(
                    session, events, now=clock.now(), settings=SETTINGS, handoff=first
                )
                assert len(written.claimed) == 1
                raise RuntimeError("the consumer's transaction fails")

        with pytest.raises(RuntimeError):
            await written_then_rolled_back()
        async with sessions() as session, session.begin():  # read again, written due
            await deliveries.record_deliveries(session, events, now=clock.now(), settings=SETTINGS)
        clock.advance(seconds=1)
        second = Dispatcher(sessions, client, SETTINGS, clock)
        receiver.held = 1  # the second one's attempt stays under way
        assert await second.dispatch_due() == 1
        second_lease = (await leases(sessions))["evt-00"]
        running = asyncio.create_task(first.run())  # its round finds nothing due
        await asyncio.sleep(0.1)
        running.cancel()  # the first one stops cleanly
        await asyncio.gather(running, return_exceptions=True)
        assert (await leases(sessions))["evt-00"] == second_lease, "the second one's claim stands"
        receiver.release.set()
        await second.drain()
    assert receiver.ids == ["evt-00"]


async def test_a_poll_of_several_partitions_is_told_in_chunks_and_handed_with_the_last(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, receiver: Receiver
) -> None:
    """`OutcomeStage.apply_poll`: 150 outcomes over three partitions in one transaction, told
    `POLL_CHUNK` (100) at a time; every delivery and stream entry written once, and what was
    written claimed goes with the last partition, whose offsets are committed last."""
    await subscribe(sessions, receiver.url, clock)
    partitions = [TopicPartition("sosa.outcomes.v1", n) for n in range(3)]
    batches = {
        partition: [
            Decoded(
                cast(Any, None),
                OutcomeRead(
                    routed(clock, timedelta(days=3)).model_copy(
                        update={"event_id": f"evt-{p}-{n:02d}", "request_id": f"req-{p}-{n:02d}"}
                    ),
                    None,
                ),
            )
            for n in range(50)
        ]
        for p, partition in enumerate(partitions)
    }
    async with guarded_client(SETTINGS.webhook_allowed_networks) as client:
        dispatcher = Dispatcher(sessions, client, SETTINGS, clock)
        stage = deliveries.OutcomeStage(clock, SETTINGS, dispatcher)
        async with sessions() as session, session.begin():
            results = await stage.apply_poll(session, batches)
        assert [len(results[p]) for p in partitions] == [0, 0, 1]
        (written,) = results[partitions[-1]]
        assert written.created == 150
        assert len(written.claimed) == 6, "the endpoint's room, as for one batch"
    async with sessions() as session:
        ids = (await session.scalars(select(d.c.event_id))).all()
        entries = (
            await session.scalars(
                select(tables.stream_events.c.seq)
                .where(tables.stream_events.c.party_id == "acme")
                .order_by(tables.stream_events.c.seq)
            )
        ).all()
    assert sorted(ids) == sorted(f"evt-{p}-{n:02d}" for p in range(3) for n in range(50))
    assert list(entries) == list(range(1, 151)), "each entry once, numbered without a gap"
