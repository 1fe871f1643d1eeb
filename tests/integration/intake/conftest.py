"""Fixtures for intake's tests on real databases: a fresh one per test, PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head
from tests.integration.intake.seeding import MIGRATIONS, Sessions
from tests.scratch_databases import scratch_database


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
    async with scratch_database(postgres_admin_url, "sosa_intake_it") as url:
        engine = db.create_engine(url)
        yield engine
        await engine.dispose()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> Sessions:
    """Sessions on that database, migrated to head as intake does at start."""
    await upgrade_to_head(engine, MIGRATIONS)
    return db.sessionmaker(engine)
