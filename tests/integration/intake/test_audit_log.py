"""The audit log's chain: verify passes on what was appended, and finds a changed row, a deleted
row and deleted last rows; pruning old rows leaves a chain that still verifies, only rows older
than the retention period may be pruned, and rows deleted and recorded as pruned without a
published checkpoint are named. On PostgreSQL and SQLite, and through the
`python -m sosa.intake.audit` command with its checkpoints on the real broker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.contracts import topics
from sosa.contracts.audit import AuditCheckpoint
from sosa.intake import audit, tables
from tests.e2e.stack import unique_prefix
from tests.integration.intake.seeding import Sessions
from tests.kafka_principals import as_super_user, provision_stack, service_env

pytestmark = pytest.mark.db
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
log = tables.audit_log


RETENTION = timedelta(days=1096)


async def fill(sessions: Sessions, rows: int = 5, *, start: datetime = T0) -> None:
    for n in range(rows):
        async with sessions() as session, session.begin():
            await audit.append(
                session,
                at=start + timedelta(days=n),
                actor=f"party-{n}",
                kind="command:sosa.command.respond.v1",
                request_id=f"req-{n}",
                details={"command_id": f"cmd-{n}", "note": "ünïcode ok"},
            )


async def verdict(sessions: Sessions, checkpoint: AuditCheckpoint | None = None) -> audit.Verdict:
    async with sessions() as session:
        return await audit.verify(session, checkpoint=checkpoint)


class Published(list[AuditCheckpoint]):
    """Checkpoints as `prune` publishes them (the broker's part: the command's test below)."""

    async def __call__(self, checkpoint: AuditCheckpoint) -> None:
        self.append(checkpoint)


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
    published = Published()
    cutoff = T0 + timedelta(days=2, hours=1)
    async with sessions() as session, session.begin():
        removed = await audit.prune(
            session, before=cutoff, now=cutoff + RETENTION, retention=RETENTION, publish=published
        )
    assert removed == 3
    [checkpoint] = published
    assert (checkpoint.pruned_through_seq, checkpoint.cutoff) == (3, cutoff)
    result = await verdict(sessions, checkpoint)
    assert (result.ok, result.rows) == (True, 2), result
    await fill(sessions, rows=1)  # the chain goes on after a prune
    assert (await verdict(sessions, checkpoint)).ok
    unpublished = await verdict(sessions)
    assert (unpublished.ok, unpublished.broken_at) == (False, 1)
    assert "no prune was ever published" in unpublished.detail


async def test_rows_within_the_retention_period_are_not_pruned(sessions: Sessions) -> None:
    await fill(sessions)
    published = Published()
    async with sessions() as session, session.begin():
        with pytest.raises(ValueError, match="younger than 1096 days are kept"):
            await audit.prune(
                session,
                before=T0 + timedelta(days=3),
                now=T0 + timedelta(days=30),
                retention=RETENTION,
                publish=published,
            )
    assert published == []
    assert (await verdict(sessions)).rows == 5


async def recorded_as_pruned(sessions: Sessions, through: int) -> None:
    """The attack: delete the oldest rows and write the head as a prune would."""
    async with sessions() as session, session.begin():
        last = (await session.execute(log.select().where(log.c.seq == through))).one()
        await session.execute(delete(log).where(log.c.seq <= through))
        await session.execute(
            update(tables.audit_head)
            .where(tables.audit_head.c.id == 1)
            .values(pruned_through_seq=through, pruned_hash=last.hash)
        )


async def test_rows_deleted_and_recorded_as_pruned_are_named(sessions: Sessions) -> None:
    """Today's 60 rows; the 50 oldest deleted, the head rewritten to start after them: the
    chain that is left is intact, but no published checkpoint covers the deletion."""
    await fill(sessions, rows=60, start=datetime.now(UTC) - timedelta(days=59))
    await recorded_as_pruned(sessions, through=50)
    result = await verdict(sessions)
    assert (result.ok, result.broken_at) == (False, 1)
    assert "rows 1 to 50 are recorded as pruned, but no prune was ever published" in result.detail


async def test_rows_deleted_beyond_the_last_published_prune_are_named(sessions: Sessions) -> None:
    await fill(sessions, rows=20)
    published = Published()
    cutoff = T0 + timedelta(days=4, hours=1)
    async with sessions() as session, session.begin():
        await audit.prune(
            session, before=cutoff, now=cutoff + RETENTION, retention=RETENTION, publish=published
        )
    await recorded_as_pruned(sessions, through=12)
    result = await verdict(sessions, published[-1])
    assert (result.ok, result.broken_at) == (False, 6)
    assert "rows 6 to 12 were deleted outside `prune`" in result.detail


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.kafka
async def test_the_commands_prune_with_a_published_checkpoint_and_verify_names_a_rewrite(
    sessions: Sessions, engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    """`prune` publishes its checkpoint on the broker (a topic of this test's own prefix) and
    removes only rows past the three-year retention; `verify` reads the checkpoint back, passes,
    then names an edited row, and rows deleted and recorded as pruned beyond the checkpoint."""
    await fill(sessions, rows=3, start=datetime.now(UTC) - timedelta(days=1200))
    await fill(sessions, rows=4, start=datetime.now(UTC) - timedelta(days=3))
    env = {
        **os.environ,
        # as intake's own Kafka principal, on a prefix provisioned as a deployment's is (#23)
        **service_env("intake"),
        "SOSA_INTAKE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SOSA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SOSA_TOPIC_PREFIX": unique_prefix(),
    }
    await asyncio.to_thread(provision_stack, env)

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sosa.intake.audit", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    pruned = await asyncio.to_thread(run, "prune")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "pruned 3 audit rows older than" in pruned.stdout
    ok = await asyncio.to_thread(run, "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "audit log OK: 4 rows verified" in ok.stdout

    async with sessions() as session, session.begin():
        await session.execute(update(log).where(log.c.seq == 6).values(kind="edited"))
    broken = await asyncio.to_thread(run, "verify")
    assert broken.returncode == 1
    assert "BROKEN: row 6 was changed" in broken.stdout

    await recorded_as_pruned(sessions, through=5)
    rewritten = await asyncio.to_thread(run, "verify")
    assert rewritten.returncode == 1
    assert "rows 4 to 5 were deleted outside `prune`" in rewritten.stdout

    # a record on the checkpoint topic that is no checkpoint: verify trusts none of them (only
    # intake may write the topic; the super user stands in for a writer who got in anyway)
    producer = AIOKafkaProducer(**as_super_user(kafka_bootstrap))
    await producer.start()
    try:
        topic = env["SOSA_TOPIC_PREFIX"] + topics.AUDIT_CHECKPOINTS
        await producer.send_and_wait(topic, b"\xff not a checkpoint", key=b"intake-audit")
    finally:
        await producer.stop()
    forged = await asyncio.to_thread(run, "verify")
    assert forged.returncode == 1
    assert "BROKEN: the checkpoints cannot be trusted" in forged.stdout
