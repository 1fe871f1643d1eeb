"""The body of every service's Alembic `env.py`: migrate on the connection the service hands in."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from sosa.infra.columns import UtcDateTime


def run(metadata: MetaData, *, service: str) -> None:
    """Run migrations online; from the `alembic` CLI, connect to `SOSA_<SERVICE>_DATABASE_URL`."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata, service)
        return
    url = os.environ[f"SOSA_{service.upper()}_DATABASE_URL"]

    async def _from_cli() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, metadata, service)
        await engine.dispose()

    asyncio.run(_from_cli())


def _migrate(connection: Connection, metadata: MetaData, service: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=f"alembic_version_{service}",
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy types they store, so revisions need no
    import of sosa code (a revision must keep working when that code changes)."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False
