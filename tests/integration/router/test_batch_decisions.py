"""A whole batch decided at once against the real PostgreSQL (the router's stage on the consumer
runner, `runner.apply`, without Kafka): commands on the same request see each other's changes, a
command that fails is dead-lettered alone and the others' changes stand, a second copy of a
command yields nothing, an outage blames no command, and the batch's state is read and written
with a fixed number of statements whatever its size."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import event, make_url, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import commands, envelope, topics
from sosa.infra import db
from sosa.infra.clock import AdjustableClock
from sosa.infra.consumer_runner import Applied, ConsumerRunner, DatabaseOutage, Record
from sosa.infra.dead_letters import Unreadable
from sosa.infra.settings import CommonSettings
from sosa.router import tables
from sosa.router.batch_state import BatchState
from sosa.router.handlers import Handlers
from sosa.router.incoming import Incoming
from sosa.router.outputs import Output
from sosa.router.processor import Processor
from tests.integration.router.router_support import message
from tests.integration.router.test_handlers import respond, submit

pytestmark = pytest.mark.db


def records(
    *sent: commands.Command | bytes, partition: int = 0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Commands as the consumer hands them over, at offsets 0, 1, 2... of `partition`."""
    made = []
    for offset, command in enumerate(sent):
        if isinstance(command, bytes):
            key, value, headers = None, command, []
        else:
            key, value, headers = envelope.to_kafka(message(command))
        made.append(
            ConsumerRecord(
                topics.REQUESTS, partition, offset, 0, 0, key, value, None, 0, len(value), headers
            )
        )
    return made


def processor(sessions: async_sessionmaker[AsyncSession], handler: Any) -> Processor:
    """The processor's deciding half (its Kafka pieces are not used by `runner.apply`)."""
    return Processor(
        consumer=cast(Any, None),
        producers=cast(Any, None),
        sessions=sessions,
        handler=handler,
        settings=CommonSettings(),
        group_id="test",
        clock=AdjustableClock(),
    )


async def decide(
    sessions: async_sessionmaker[AsyncSession],
    handler: Any,
    batch: list[ConsumerRecord[bytes, bytes]],
) -> Applied[Output]:
    """Decode and apply `batch` as the runner does before it commits."""
    return await processor(sessions, handler).runner.apply(batch)


def outcome_states(outputs: list[Output]) -> list[tuple[str, str, int]]:
    found = [json.loads(o.value) for o in outputs if o.topic == topics.OUTCOMES]
    return [(e["request_id"], e["state"], e["sequence"]) for e in found]


@contextmanager
def statements(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """Every SQL statement sent to the database meanwhile (one per executemany)."""
    sent: list[str] = []
    engine = sessions.kw["bind"].sync_engine

    def count(*args: Any) -> None:
        sent.append(str(args[2]).split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_commands_of_one_batch_see_each_other_and_a_copy_yields_nothing(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    first = submit("r-a")
    batch = records(first, respond("r-a", kind="accept"), submit("r-b"), first)
    outputs = (await decide(sessions, handlers, batch)).results
    assert outcome_states(outputs) == [
        ("r-a", "routed", 1),
        ("r-a", "accepted", 2),
        ("r-b", "routed", 1),
    ]
    async with sessions() as session:
        rows = {
            r.request_id: (r.state, r.sequence)
            for r in await session.execute(select(tables.requests))
        }
        inbox = (await session.execute(select(tables.inbox.c.offset))).scalars().all()
        timed = set((await session.execute(select(tables.timers.c.request_id))).scalars())
    assert rows == {"r-a": ("accepted", 2), "r-b": ("routed", 1)}
    assert sorted(inbox) == [0, 1, 2], "the copy at offset 3 is not remembered again"
    assert timed == {"r-b"}, "r-a was answered in the same batch: its timers are gone"

    again = (await decide(sessions, handlers, batch)).results
    assert again == outputs, "the same records read again publish the same outputs, once"


async def test_a_failing_command_is_dead_lettered_alone_and_its_changes_undone(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    async def failing_on_r_bad(
        session: AsyncSession, state: BatchState, received: Incoming
    ) -> list[Output]:
        outputs = await handlers(session, state, received)
        if received.message.subject == "r-bad":
            raise RuntimeError("fails after changing the batch's state")
        return outputs

    batch = records(submit("r-1"), submit("r-bad"), b"not a cloudevent", submit("r-2"))
    applied = await decide(sessions, failing_on_r_bad, batch)
    assert [(u.record.offset, type(u.error).__name__) for u in applied.letters] == [
        (1, "RuntimeError"),
        (2, "NotAnEnvelopeError"),
    ], "the failing command and the unreadable record, in the batch's order"
    assert [r for r, *_ in outcome_states(applied.results)] == ["r-1", "r-2"]
    async with sessions() as session:
        stored = set((await session.execute(select(tables.requests.c.request_id))).scalars())
        timed = set((await session.execute(select(tables.timers.c.request_id))).scalars())
    assert stored == {"r-1", "r-2"}
    assert timed == {"r-1", "r-2"}


async def test_a_batch_costs_the_same_statements_whatever_its_size(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    counted = []
    for size, start in ((2, 0), (40, 100)):
        submits = [submit(f"r-{start + n}") for n in range(size)]
        answers = [respond(f"r-{start + n}", kind="accept") for n in range(size)]
        with statements(sessions) as sent:
            await decide(sessions, handlers, records(*submits, *answers))
        counted.append(len(sent))
    assert counted[0] == counted[1], counted


class PgError(Exception):
    """What asyncpg's errors carry: the server's SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def failing_with(sqlstate: str, handlers: Handlers) -> Any:
    async def handler(session: AsyncSession, state: BatchState, received: Incoming) -> list[Output]:
        if received.message.subject == "r-bad":
            raise DBAPIError("INSERT ...", {}, PgError(sqlstate))
        return await handlers(session, state, received)

    return handler


async def test_a_command_the_database_refuses_is_dead_lettered_while_it_answers(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    """23505, a unique violation: the command, not the database, is at fault."""
    batch = records(submit("r-1"), submit("r-bad"), submit("r-2"))
    applied = await decide(sessions, failing_with("23505", handlers), batch)
    assert [u.record.offset for u in applied.letters] == [1]
    assert [r for r, *_ in outcome_states(applied.results)] == ["r-1", "r-2"]


async def test_an_id_longer_than_its_column_is_dead_lettered_not_cut(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    """The batch's rows go in as arrays (`sosa.infra.db.unnest_insert`): a request id longer
    than the column's 64 characters is refused by PostgreSQL, so that command alone is
    dead-lettered; it is never stored cut to 64 characters."""
    long_id = "r-" + "x" * 198
    batch = records(submit("r-1"), submit(long_id), submit("r-2"))
    applied = await decide(sessions, handlers, batch)
    assert [u.record.offset for u in applied.letters] == [1]
    assert [r for r, *_ in outcome_states(applied.results)] == ["r-1", "r-2"]
    async with sessions() as session:
        stored = set((await session.execute(select(tables.requests.c.request_id))).scalars())
    assert stored == {"r-1", "r-2"}


@pytest.mark.parametrize("sqlstate", ["57P03", "57P01", "08006", "53300"])
async def test_a_server_going_away_retries_the_batch_and_dead_letters_nothing(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers, sqlstate: str
) -> None:
    """Cannot connect now (shutting down), admin shutdown, connection failure, too many
    connections: the batch fails whole (its offsets are not committed; it is read again)."""
    batch = records(submit("r-1"), submit("r-bad"))
    with pytest.raises(DatabaseOutage):
        await decide(sessions, failing_with(sqlstate, handlers), batch)
    async with sessions() as session:
        stored = list((await session.execute(select(tables.requests.c.request_id))).scalars())
    assert stored == []


async def test_an_outage_no_error_names_is_caught_by_asking_the_database(
    postgres_admin_url: str, handlers: Handlers
) -> None:
    """A database the router cannot use, with an error that is not one of the outage codes
    (3D000: the database does not exist): since the database does not answer either, nothing is
    blamed on the commands."""
    gone = db.create_engine(
        make_url(postgres_admin_url)
        .set(database="sosa_router_no_such_database")
        .render_as_string(hide_password=False)
    )
    try:
        with pytest.raises(DatabaseOutage) as raised:
            await decide(db.sessionmaker(gone), handlers, records(submit("r-1")))
        assert isinstance(raised.value.__cause__, DBAPIError)
        assert not db.is_outage(raised.value.__cause__)
    finally:
        await gone.dispose()


async def test_a_batch_of_submissions_reads_and_deletes_no_timers(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    """Timers are only ever written with their request, so new requests have none to read or
    to delete: a steady stream's batches are mostly submissions, and each statement saved is a
    round trip per batch."""
    with statements(sessions) as sent:
        outputs = (await decide(sessions, handlers, records(submit("r-x"), submit("r-y")))).results
    assert [state for _, state, _ in outcome_states(outputs)] == ["routed", "routed"]
    assert sent == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT", "INSERT"], (
        "the inbox, the requests and the postures read; the requests, their timers and the "
        "inbox written"
    )
    async with sessions() as session:
        timed = set((await session.execute(select(tables.timers.c.request_id))).scalars())
    assert timed == {"r-x", "r-y"}


class Committed:
    """The committer's side of the runner, recorded: what each partition's commit was given
    (the Kafka transaction itself is `test_processor_transactions.py`'s)."""

    def __init__(self) -> None:
        self.commits: dict[int, tuple[list[Output], list[int]]] = {}

    async def commit(
        self,
        partition: TopicPartition,
        records: Sequence[Record],
        results: Sequence[Output],
        letters: Sequence[Unreadable],
    ) -> None:
        assert partition.partition not in self.commits, "one commit per partition's batch"
        self.commits[partition.partition] = (
            list(results),
            [letter.record.offset for letter in letters],
        )

    async def recover(self, partition: TopicPartition) -> None:
        raise AssertionError(f"no commit failed, yet {partition} is recovered")


async def handle_poll(
    sessions: async_sessionmaker[AsyncSession],
    handler: Any,
    batches: dict[int, list[ConsumerRecord[bytes, bytes]]],
) -> Committed:
    """A poll of several partitions through the router's runner, its commits recorded."""
    stage = processor(sessions, handler)
    committed = Committed()
    runner = ConsumerRunner(cast(Any, None), sessions, stage, committed, poll_stage=stage)
    await runner.handle_poll({TopicPartition(topics.REQUESTS, p): b for p, b in batches.items()})
    return committed


async def test_a_poll_of_several_partitions_is_decided_in_one_transaction(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    """Three partitions' batches cost the statements of one batch (one transaction: its
    fixed cost paid once per poll), and each partition's commit gets its own outputs."""
    batches = {
        0: records(submit("r-0"), respond("r-0", kind="accept"), partition=0),
        1: records(submit("r-1"), partition=1),
        2: records(submit("r-2"), b"not a cloudevent", partition=2),
    }
    with statements(sessions) as sent:
        committed = await handle_poll(sessions, handlers, batches)
    assert sent == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT", "INSERT"], (
        "read once for the three batches (the inbox, the requests, the postures), written once "
        "(the requests, their timers, the inbox)"
    )
    assert {p: outcome_states(outputs) for p, (outputs, _) in committed.commits.items()} == {
        0: [("r-0", "routed", 1), ("r-0", "accepted", 2)],
        1: [("r-1", "routed", 1)],
        2: [("r-2", "routed", 1)],
    }
    assert {p: letters for p, (_, letters) in committed.commits.items()} == {0: [], 1: [], 2: [1]}
    async with sessions() as session:
        inbox = sorted(
            (r.partition, r.offset)
            for r in await session.execute(select(tables.inbox.c.partition, tables.inbox.c.offset))
        )
    assert inbox == [(0, 0), (0, 1), (1, 0), (2, 0)]


async def test_a_poll_that_fails_together_is_decided_partition_by_partition(
    sessions: async_sessionmaker[AsyncSession], handlers: Handlers
) -> None:
    """A command that fails fails the poll's one transaction: each partition's batch is then
    decided alone, and only the failing command is dead-lettered, in its own partition."""

    async def failing_on_r_bad(
        session: AsyncSession, state: BatchState, received: Incoming
    ) -> list[Output]:
        outputs = await handlers(session, state, received)
        if received.message.subject == "r-bad":
            raise RuntimeError("fails after changing the batch's state")
        return outputs

    batches = {
        0: records(submit("r-0"), partition=0),
        1: records(submit("r-1"), submit("r-bad"), submit("r-3"), partition=1),
    }
    committed = await handle_poll(sessions, failing_on_r_bad, batches)
    assert {p: outcome_states(outputs) for p, (outputs, _) in committed.commits.items()} == {
        0: [("r-0", "routed", 1)],
        1: [("r-1", "routed", 1), ("r-3", "routed", 1)],
    }
    assert {p: letters for p, (_, letters) in committed.commits.items()} == {0: [], 1: [1]}
    async with sessions() as session:
        stored = set((await session.execute(select(tables.requests.c.request_id))).scalars())
    assert stored == {"r-0", "r-1", "r-3"}
