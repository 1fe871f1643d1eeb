"""Two instances of a service starting at once on one new PostgreSQL database (routers scaled
out) both migrate it: the second waits for the first and finds nothing left to do. Found by the
fault suite, where two routers started together and one died creating the version table."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head
from tests.scratch_databases import scratch_database

pytestmark = pytest.mark.db


@pytest.mark.parametrize("service", ["intake", "router", "notifier"])
async def test_concurrent_starts_migrate_once(postgres_admin_url: str, service: str) -> None:
    async with scratch_database(postgres_admin_url, "sosa_migrate") as url:
        engines = [db.create_engine(url) for _ in range(3)]
        try:
            await asyncio.gather(
                *(upgrade_to_head(e, f"sosa.{service}:migrations") for e in engines)
            )
            async with engines[0].connect() as connection:
                versions = (
                    await connection.execute(
                        text(f"SELECT count(*) FROM alembic_version_{service}")
                    )
                ).scalar_one()
            assert versions == 1
        finally:
            for engine in engines:
                await engine.dispose()
