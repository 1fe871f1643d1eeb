"""Two instances of a service starting at once on one new PostgreSQL database (routers scaled
out) both migrate it: the second waits for the first and finds nothing left to do. Found by the
fault suite, where two routers started together and one died creating the version table."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head

pytestmark = pytest.mark.db


@pytest.mark.parametrize("service", ["intake", "router", "notifier"])
async def test_concurrent_starts_migrate_once(postgres_admin_url: str, service: str) -> None:
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"sosa_migrate_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    engines = [db.create_engine(url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_to_head(e, f"sosa.{service}:migrations") for e in engines))
        async with engines[0].connect() as connection:
            versions = (
                await connection.execute(text(f"SELECT count(*) FROM alembic_version_{service}"))
            ).scalar_one()
        assert versions == 1
    finally:
        for engine in engines:
            await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
