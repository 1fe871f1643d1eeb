"""The real PostgreSQL that scripts/postgres.sh starts: reachable, new enough, and transactional.

Talks to it the way the services do (SQLAlchemy async over asyncpg), in a database of its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sosa.infra import db

pytestmark = pytest.mark.db

MIN_SERVER_MAJOR = 15


@pytest.fixture
async def admin_engine(postgres_admin_url: str) -> AsyncIterator[AsyncEngine]:
    """Autocommit engine on the maintenance database; fails with a hint when no server answers."""
    engine = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, DBAPIError) as exc:
        await engine.dispose()
        hint = "start it with scripts/postgres.sh start"
        pytest.fail(f"no PostgreSQL at {postgres_admin_url} ({exc!r}); {hint}", pytrace=False)
    yield engine
    await engine.dispose()


async def _database_exists(admin: AsyncEngine, name: str) -> bool:
    async with admin.connect() as connection:
        exists = await connection.scalar(
            text("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = :name)"), {"name": name}
        )
    return exists is True


async def test_server_is_postgresql_15_or_newer(admin_engine: AsyncEngine) -> None:
    async with admin_engine.connect() as connection:
        version = await connection.scalar(text("SHOW server_version"))
    assert isinstance(version, str)
    major = re.match(r"\d+", version)
    assert major is not None, version
    assert int(major.group()) >= MIN_SERVER_MAJOR, version


async def test_fresh_database_commits_and_rolls_back(
    admin_engine: AsyncEngine, postgres_admin_url: str
) -> None:
    name = f"sosa_test_pg_{uuid.uuid4().hex[:12]}"
    async with admin_engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(make_url(postgres_admin_url).set(database=name))
    try:
        assert await _database_exists(admin_engine, name)

        async with engine.begin() as connection:
            await connection.execute(
                text("CREATE TABLE probe (id integer PRIMARY KEY, note text NOT NULL)")
            )

        # Committed: visible inside the transaction and, afterwards, to another connection.
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO probe (id, note) VALUES (:id, :note)"),
                [{"id": 1, "note": "kept"}, {"id": 2, "note": "kept too"}],
            )
            inside = await connection.scalar(text("SELECT count(*) FROM probe"))
            assert inside == 2
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT id, note FROM probe ORDER BY id"))).all()
        assert [tuple(row) for row in rows] == [(1, "kept"), (2, "kept too")]

        # Rolled back: seen by its own transaction, gone for everyone afterwards.
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(text("INSERT INTO probe (id, note) VALUES (3, 'discarded')"))
            await connection.execute(text("DELETE FROM probe WHERE id = 1"))
            assert await connection.scalar(text("SELECT count(*) FROM probe WHERE id = 3")) == 1
            await transaction.rollback()
        async with engine.connect() as connection:
            ids = (await connection.scalars(text("SELECT id FROM probe ORDER BY id"))).all()
        assert ids == [1, 2]

        # A failing statement dooms the whole transaction, including what succeeded before it.
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(text("INSERT INTO probe (id, note) VALUES (4, 'lost')"))
            with pytest.raises(IntegrityError):
                await connection.execute(text("INSERT INTO probe (id, note) VALUES (1, 'dup')"))
            await transaction.rollback()
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM probe")) == 2
    finally:
        await engine.dispose()
        async with admin_engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    assert not await _database_exists(admin_engine, name)


async def test_a_pooled_connection_the_server_dropped_is_replaced_at_checkout(
    admin_engine: AsyncEngine, postgres_admin_url: str
) -> None:
    """sosa.infra.db pings each pooled connection as it is handed out (one empty query): one
    whose backend the server ended is replaced, and the caller's work runs on a new one."""
    engine = db.create_engine(postgres_admin_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with admin_engine.connect() as connection:
            ended = await connection.scalar(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": first}
            )
        assert ended is True
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
