"""Fixtures of the router's integration tests: a migrated router database on the real
PostgreSQL, and the real handlers on an adjustable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.decisions.config import RulesConfig
from sosa.infra import db
from sosa.infra.clock import AdjustableClock
from sosa.infra.migrations import upgrade_to_head
from sosa.router.handlers import Handlers
from sosa.router.outcome_outputs import OutcomeWriter
from tests.scratch_databases import scratch_database


@pytest.fixture
async def sessions(postgres_admin_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh router database, migrated to head, dropped afterwards."""
    async with scratch_database(postgres_admin_url, "sosa_router_it") as url:
        engine = db.create_engine(url)
        await upgrade_to_head(engine, "sosa.router:migrations")
        yield db.sessionmaker(engine)
        await engine.dispose()


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
