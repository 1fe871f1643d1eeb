"""Fixtures for intake's tests on real databases: a fresh one per test, PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head
from tests.integration.intake.seeding import MIGRATIONS, Sessions


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(
    request: pytest.FixtureRequest, postgres_admin_url: str, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An engine on a new, empty database of its own, dropped after the test: PostgreSQL (the
    production database) and SQLite (the embedded default of `make run`)."""
    if request.param == "sqlite":
        embedded = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
        yield embedded
        await embedded.dispose()
        return
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"sosa_intake_it_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = db.create_engine(
        make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    )
    yield engine
    await engine.dispose()
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> Sessions:
    """Sessions on that database, migrated to head as intake does at start."""
    await upgrade_to_head(engine, MIGRATIONS)
    return db.sessionmaker(engine)
