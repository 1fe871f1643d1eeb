"""The router's migrations build exactly its tables, on PostgreSQL and on SQLite; 0004 turns the
inbox's rows written before it (base64 in JSON) into the records' bytes, and back on the way
down, so that a command decided before the upgrade is republished from the inbox, not decided
again."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, LargeBinary, column, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.contracts.envelope import Envelope
from sosa.infra import db
from sosa.router.batch_state import BatchState
from sosa.router.outputs import Output, pack
from sosa.router.tables import metadata
from tests.scratch_databases import scratch_database

pytestmark = [pytest.mark.db]

BEFORE = "5c1d0e7b9a31"
"""0003, the last revision with the inbox's outputs as JSON."""
T0 = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
OUTPUTS = [
    Output.of(
        "sosa.outcomes.v1",
        Envelope(
            id="e-1",
            type="sosa.outcome.transitioned.v1",
            source="/router",
            subject="r-1",
            time=T0,
            data=b'{"request_id":"r-1","state":"routed"}',
            traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
    ),
    Output(topic="sosa.requests.v1.dlq", key=None, value=b"\xff\x00", headers=(("x", b"\x80"),)),
]
OLD_FORM = [
    {
        "topic": o.topic,
        "key": None if o.key is None else base64.b64encode(o.key).decode(),
        "value": base64.b64encode(o.value).decode(),
        "headers": [[name, base64.b64encode(value).decode()] for name, value in o.headers],
    }
    for o in OUTPUTS
]
"""The outputs as the router wrote them before 0004."""

old_inbox = table(
    "inbox",
    column("event_id"),
    column("topic"),
    column("partition"),
    column("offset"),
    column("outputs", JSON()),
    column("processed_at"),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(
    request: pytest.FixtureRequest, postgres_admin_url: str, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/r.db")
        yield engine
        await engine.dispose()
        return
    async with scratch_database(postgres_admin_url, "sosa_router_mig") as url:
        engine = db.create_engine(url)
        yield engine
        await engine.dispose()


def _run(connection: Connection, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "sosa.router:migrations")
    config.attributes["connection"] = connection
    getattr(command, verb)(config, revision)


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"version_table": "alembic_version_router"}
    )
    return list(compare_metadata(context, metadata))


async def _migrate(engine: AsyncEngine, verb: str, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run, verb, revision)


async def _remembered(engine: AsyncEngine, event_id: str) -> list[Output]:
    async with db.sessionmaker(engine)() as session:
        seen = (await BatchState.load(session, [event_id], [])).seen(event_id)
    assert seen is not None, f"{event_id} is in the inbox"
    assert (seen.partition, seen.offset) == (0, 7)
    return seen.outputs


async def _old_rows(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(old_inbox.c.event_id, old_inbox.c.outputs))
        return {row.event_id: row.outputs for row in rows}


def _row(event_id: str, **value: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "topic": "sosa.requests.v1",
        "partition": 0,
        "offset": 7,
        "processed_at": T0,
        **value,
    }


async def test_the_inbox_rows_of_either_form_survive_the_upgrade_and_the_downgrade(
    engine: AsyncEngine,
) -> None:
    await _migrate(engine, "upgrade", BEFORE)
    async with engine.begin() as connection:
        await connection.execute(
            insert(old_inbox), [_row(f"c-old-{n}", outputs=OLD_FORM) for n in range(3)]
        )
        await connection.execute(insert(old_inbox), [_row("c-none", outputs=[])])

    await _migrate(engine, "upgrade", "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
    for n in range(3):
        assert await _remembered(engine, f"c-old-{n}") == OUTPUTS
    assert await _remembered(engine, "c-none") == []
    new_inbox = table("inbox", *(column(c) for c in _row("x")), column("records", LargeBinary()))
    async with engine.begin() as connection:
        await connection.execute(insert(new_inbox), [_row("c-new", records=pack(OUTPUTS[::-1]))])

    await _migrate(engine, "downgrade", BEFORE)
    assert await _old_rows(engine) == {
        **{f"c-old-{n}": OLD_FORM for n in range(3)},
        "c-none": [],
        "c-new": OLD_FORM[::-1],
    }

    await _migrate(engine, "upgrade", "head")
    assert await _remembered(engine, "c-old-0") == OUTPUTS
    assert await _remembered(engine, "c-new") == OUTPUTS[::-1]
