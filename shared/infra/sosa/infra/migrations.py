"""Run a service's Alembic migrations to head against its own database at start."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.infra.db import is_postgres

MIGRATION_LOCK_ID = 0x505A_0000
"""PostgreSQL advisory lock (per database) held while one process migrates."""


async def upgrade_to_head(engine: AsyncEngine, script_location: str) -> None:
    """Apply every pending migration found at `script_location` (a `package:folder` path)."""

    def _upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", script_location)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        if is_postgres(connection):
            # two instances of a service starting at once (routers scaled out) would both
            # create the version table; the second waits here and then finds nothing to do
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        await connection.run_sync(_upgrade)
