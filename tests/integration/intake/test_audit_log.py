"""The audit log's chain: verify passes on what was appended, and finds a changed row, a deleted
row and deleted last rows; pruning old rows leaves a chain that still verifies. On PostgreSQL and
SQLite, and through the `python -m sosa.intake.audit` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.intake import audit, tables
from tests.integration.intake.seeding import Sessions

pytestmark = pytest.mark.db
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
log = tables.audit_log


async def fill(sessions: Sessions, rows: int = 5) -> None:
    for n in range(rows):
        async with sessions() as session, session.begin():
            await audit.append(
                session,
                at=T0 + timedelta(days=n),
                actor=f"party-{n}",
                kind="command:sosa.command.respond.v1",
                request_id=f"req-{n}",
                details={"command_id": f"cmd-{n}", "note": "ünïcode ok"},
            )


async def verdict(sessions: Sessions) -> audit.Verdict:
    async with sessions() as session:
        return await audit.verify(session)


async def test_an_untouched_chain_verifies(sessions: Sessions) -> None:
    await fill(sessions)
    result = await verdict(sessions)
    assert (result.ok, result.rows) == (True, 5), result


async def test_an_edited_row_is_found(sessions: Sessions) -> None:
    await fill(sessions)
    async with sessions() as session, session.begin():
        await session.execute(update(log).where(log.c.seq == 3).values(actor="someone-else"))
    result = await verdict(sessions)
    assert (result.ok, result.broken_at) == (False, 3)
    assert "changed" in result.detail


async def test_a_row_edited_with_its_hash_recomputed_breaks_the_next_link(
    sessions: Sessions,
) -> None:
    await fill(sessions)
    async with sessions() as session, session.begin():
        row = (await session.execute(log.select().where(log.c.seq == 2))).one()
        forged = audit.row_hash(
            seq=2,
            at=row.at,
            actor="forger",
            kind=row.kind,
            request_id=row.request_id,
            details=row.details,
            prev_hash=row.prev_hash,
        )
        await session.execute(update(log).where(log.c.seq == 2).values(actor="forger", hash=forged))
    result = await verdict(sessions)
    assert (result.ok, result.broken_at) == (False, 3)


async def test_a_deleted_row_is_found(sessions: Sessions) -> None:
    await fill(sessions)
    async with sessions() as session, session.begin():
        await session.execute(delete(log).where(log.c.seq == 2))
    result = await verdict(sessions)
    assert (result.ok, result.broken_at) == (False, 2)
    assert "missing" in result.detail


async def test_deleted_last_rows_are_found(sessions: Sessions) -> None:
    await fill(sessions)
    async with sessions() as session, session.begin():
        await session.execute(delete(log).where(log.c.seq >= 4))
    result = await verdict(sessions)
    assert not result.ok
    assert "missing" in result.detail


async def test_pruning_keeps_the_chain_verifiable(sessions: Sessions) -> None:
    await fill(sessions)
    async with sessions() as session, session.begin():
        removed = await audit.prune(session, before=T0 + timedelta(days=2, hours=1))
    assert removed == 3
    result = await verdict(sessions)
    assert (result.ok, result.rows) == (True, 2), result
    await fill(sessions, rows=1)  # the chain goes on after a prune
    assert (await verdict(sessions)).ok


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_the_verify_command_exits_1_on_a_broken_chain(
    sessions: Sessions, engine: AsyncEngine
) -> None:
    await fill(sessions)
    env = {
        **os.environ,
        "SOSA_INTAKE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    command = [sys.executable, "-m", "sosa.intake.audit", "verify"]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    ok = await asyncio.to_thread(run)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "audit log OK: 5 rows verified" in ok.stdout
    async with sessions() as session, session.begin():
        await session.execute(update(log).where(log.c.seq == 4).values(kind="edited"))
    broken = await asyncio.to_thread(run)
    assert broken.returncode == 1
    assert "BROKEN: row 4 was changed" in broken.stdout
