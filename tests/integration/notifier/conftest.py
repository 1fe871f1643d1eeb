"""A fresh notifier database on the real PostgreSQL per test, migrated to head, and a clock
that tests move forward instead of waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head
from tests.scratch_databases import scratch_database


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with scratch_database(postgres_admin_url, "sosa_notifier_it") as url:
        yield url


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """PostgreSQL (production, tests) and SQLite (the embedded default of `make run`)."""
    url = database_url if request.param == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/n.db"
    engine = db.create_engine(url)
    await upgrade_to_head(engine, "sosa.notifier:migrations")
    yield db.sessionmaker(engine)
    await engine.dispose()
