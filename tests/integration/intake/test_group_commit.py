"""Intake's group commit on real databases (PostgreSQL and SQLite): concurrent POSTs' writes are
stored together and each caller hears only after the commit; one bad write fails only its own
caller; a taken Idempotency-Key stores nothing; the audit chain of a whole batch verifies, and an
edit of a row in the middle of a batch is found; a batch whose pooled connection the server
dropped (not pinged: it was used a moment ago) is stored again on a fresh one."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.infra import db
from sosa.infra.group_commit import GroupCommit
from sosa.intake import audit, tables
from sosa.intake.commands.idempotency import Key
from sosa.intake.commands.writes import Write, store_all
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, count, submission_of
from tests.unit.intake.builders import T0

pytestmark = pytest.mark.db


def body(n: int) -> dict[str, object]:
    return {**DPAS_REQUEST, "contract_number": f"N00024-26-C-{n:06d}"}


def intake_group(sessions: Sessions, **options: Any) -> GroupCommit[Write[Any]]:
    """Intake's group commit, one writer gathering for 50 ms: batches big enough to see."""
    return GroupCommit(
        sessions,
        store_all,
        service="intake",
        **{"max_batch": 50, "max_wait_s": 0.05, "in_flight": 1, **options},
    )


async def running(group: GroupCommit[Any]) -> asyncio.Task[None]:
    task = asyncio.create_task(group.run())
    await asyncio.sleep(0)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_concurrent_writes_are_stored_together_in_order(sessions: Sessions) -> None:
    commits: list[int] = []
    group = intake_group(sessions, on_commit=lambda: commits.append(1))
    task = await running(group)
    writes = [submission_of(body(n), now=T0) for n in range(20)]
    try:
        assert await asyncio.gather(*(group.store(w) for w in writes)) == [True] * 20
    finally:
        await stop(task)
    assert len(commits) == 1, "twenty writes arriving together make one transaction"
    async with sessions() as session:
        published = (
            await session.execute(select(tables.outbox.c.event_id).order_by(tables.outbox.c.id))
        ).scalars()
        verdict = await audit.verify(session, checkpoint=None)
    assert list(published) == [w.answer.command_id for w in writes], "outbox keeps their order"
    assert (verdict.ok, verdict.rows) == (True, 20)
    # the requester sees its request from submission; the supplier only once it is routed
    assert (await count(sessions, "request_views"), await count(sessions, "request_access")) == (
        20,
        20,
    )


async def test_a_bad_write_fails_alone(sessions: Sessions) -> None:
    stored_before = submission_of(body(0), now=T0)
    group = intake_group(sessions)
    task = await running(group)
    try:
        assert await group.store(stored_before)
        good = [submission_of(body(n), now=T0) for n in range(1, 6)]
        # the same command id again: the commands table's primary key refuses it
        doomed = submission_of(body(9), now=T0)
        bad = replace(
            doomed, command={**doomed.command, "command_id": stored_before.answer.command_id}
        )
        results = await asyncio.gather(
            *(group.store(w) for w in [*good[:2], bad, *good[2:]]), return_exceptions=True
        )
    finally:
        await stop(task)
    assert results[:2] == [True, True]
    assert isinstance(results[2], IntegrityError)
    assert results[3:] == [True, True, True]
    assert await count(sessions, "commands") == 6
    async with sessions() as session:
        assert (await audit.verify(session, checkpoint=None)).rows == 6


async def test_a_taken_key_stores_nothing(sessions: Sessions) -> None:
    key = Key("k-1", "POST /v1/priority-requests")
    group = intake_group(sessions)
    task = await running(group)
    try:
        first, retry = (submission_of(body(1), now=T0, key=key) for _ in range(2))
        assert list(await asyncio.gather(group.store(first), group.store(retry))) == [True, False]
        assert await group.store(submission_of(body(1), now=T0, key=key)) is False
    finally:
        await stop(task)
    assert (await count(sessions, "commands"), await count(sessions, "outbox")) == (1, 1)


async def test_an_edit_in_the_middle_of_a_batch_is_found(sessions: Sessions) -> None:
    group = intake_group(sessions)
    task = await running(group)
    try:
        await asyncio.gather(*(group.store(submission_of(body(n), now=T0)) for n in range(9)))
    finally:
        await stop(task)
    log = tables.audit_log
    async with sessions() as session, session.begin():
        await session.execute(update(log).where(log.c.seq == 5).values(actor="someone-else"))
    async with sessions() as session:
        verdict = await audit.verify(session, checkpoint=None)
    assert (verdict.ok, verdict.broken_at) == (False, 5)
    assert verdict.detail == "row 5 was changed"


@pytest.mark.parametrize("retry", [True, False])
async def test_a_connection_dropped_in_the_pool_is_replaced_for_the_batch(
    engine: AsyncEngine, sessions: Sessions, retry: bool
) -> None:
    """Intake trusts a connection used less than `intake_ping_after_idle_s` ago; when the server
    dropped it meanwhile, the batch is stored on a fresh connection, once (nothing was sent on
    the lost one). Without the retry, the callers get the error and nothing is stored."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    trusting = db.create_engine(
        engine.url.render_as_string(hide_password=False), pool_size=1, ping_after_idle_s=60
    )
    try:
        async with trusting.connect() as connection:  # used now: not pinged at the next checkout
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as admin:
            assert (await admin.execute(text(f"SELECT pg_terminate_backend({pid})"))).scalar()
        group = intake_group(db.sessionmaker(trusting), max_wait_s=0, retry_lost_connection=retry)
        task = await running(group)
        write = submission_of(body(1), now=T0, key=Key("k-1", "POST /v1/priority-requests"))
        try:
            if retry:
                assert await group.store(write) is True
            else:
                with pytest.raises(DBAPIError) as lost:
                    await group.store(write)
                assert db.is_lost_connection(lost.value)
        finally:
            await stop(task)
    finally:
        await trusting.dispose()
    stored = 1 if retry else 0
    assert (
        await count(sessions, "commands"),
        await count(sessions, "outbox"),
        await count(sessions, "idempotency_keys"),
    ) == (stored, stored, stored)
