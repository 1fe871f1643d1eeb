"""Fixtures of the fault suite: its own broker, cluster and PostgreSQL (scripts/test-faults.sh
starts them), never the shared development ones, and fresh databases per scenario."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.faults.infra import FaultInfra
from tests.faults.support import fresh_databases


@pytest.fixture(scope="session")
def infra() -> FaultInfra:
    return FaultInfra.from_env()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: FaultInfra) -> str:
    """The fault broker (not the shared one that tests/conftest.py names)."""
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
def postgres_admin_url(infra: FaultInfra) -> str:
    """The fault PostgreSQL (not the shared one that tests/conftest.py names)."""
    return infra.postgres_url


@pytest.fixture
async def databases(postgres_admin_url: str) -> AsyncIterator[dict[str, str]]:
    """Fresh databases for intake, router and notifier, dropped afterwards."""
    async with fresh_databases(postgres_admin_url) as urls:
        yield urls
