"""Fixtures of the router's integration tests: a migrated router database on the real
PostgreSQL, and the real handlers on an adjustable clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from sosa.decisions.config import RulesConfig
from sosa.infra import db
from sosa.infra.clock import AdjustableClock
from sosa.infra.migrations import upgrade_to_head
from sosa.router.handlers import Handlers
from sosa.router.outcome_outputs import OutcomeWriter


@pytest.fixture
async def sessions(postgres_admin_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh router database, migrated to head, dropped afterwards."""
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"sosa_router_it_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = db.create_engine(
        make_url(postgres_admin_url).set(database=name).render_as_string(False)
    )
    await upgrade_to_head(engine, "sosa.router:migrations")
    yield db.sessionmaker(engine)
    await engine.dispose()
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock()


@pytest.fixture
def handlers(clock: AdjustableClock) -> Handlers:
    config = RulesConfig.load()
    return Handlers(
        config=config,
        writer=OutcomeWriter(config=config, source="/test"),
        clock=clock,
    )
