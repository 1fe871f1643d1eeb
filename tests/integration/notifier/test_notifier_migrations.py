"""The notifier's migrations build exactly its tables, on PostgreSQL and on SQLite, and 0002
goes down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from sosa.infra import db
from sosa.notifier.tables import metadata

pytestmark = [pytest.mark.db]


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"version_table": "alembic_version_notifier"}
    )
    return list(compare_metadata(context, metadata))


def _run(connection: Connection, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "sosa.notifier:migrations")
    config.attributes["connection"] = connection
    getattr(command, verb)(config, revision)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_migrations_match_the_tables_and_go_down_and_up(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/n.db"
    engine = db.create_engine(url)
    try:
        for verb, revision in [
            ("upgrade", "head"),
            ("downgrade", "a52d3f812e29"),
            ("upgrade", "head"),
        ]:
            async with engine.begin() as connection:
                await connection.run_sync(_run, verb, revision)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
