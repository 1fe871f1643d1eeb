"""Run a service's Alembic migrations to head against its own database at start."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


async def upgrade_to_head(engine: AsyncEngine, script_location: str) -> None:
    """Apply every pending migration found at `script_location` (a `package:folder` path)."""

    def _upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", script_location)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
