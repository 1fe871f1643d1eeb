"""A fresh notifier database on the real PostgreSQL per test, migrated to head, and a clock
that tests move forward instead of waiting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head


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
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"sosa_notifier_it_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


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
