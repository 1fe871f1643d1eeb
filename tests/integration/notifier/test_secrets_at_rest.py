"""Webhook signing secrets encrypted at rest (issue #23): the migration seals the plain rows of
an existing database with the first key of SOSA_WEBHOOK_SECRET_KEYS (and its downgrade opens
them), and `reseal` moves every row to a new first key, on PostgreSQL and on SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import Connection

from sosa.infra import db
from sosa.notifier import tables
from sosa.notifier.secret_box import PREFIX, SecretBox, reseal
from sosa.notifier.signing import new_secret

pytestmark = [pytest.mark.db]
BEFORE = "6d2b8e4f0a93"  # the revision before secrets were sealed


def _run(connection: Connection, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "sosa.notifier:migrations")
    config.attributes["connection"] = connection
    getattr(command, verb)(config, revision)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_plain_rows_are_sealed_by_the_migration_and_resealed_on_rotation(
    backend: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/n.db"
    engine = db.create_engine(url)
    current, old = new_secret(), new_secret()
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, "upgrade", BEFORE)
            await connection.execute(
                tables.endpoints.insert().values(
                    endpoint_id="ep-1", party_id="p", url="https://h.example/x", secret=current,
                    enabled=True, created_at=now, mode="all", failure_streak=0,
                )
            )  # fmt: skip
            await connection.execute(
                tables.endpoint_secrets.insert().values(
                    endpoint_id="ep-1", secret=old, retired_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )  # fmt: skip

        async def stored() -> list[str]:
            async with engine.connect() as connection:
                a = (await connection.execute(select(tables.endpoints.c.secret))).scalars().all()
                b = (await connection.execute(select(tables.endpoint_secrets.c.secret))).scalars()
                return [*a, *b.all()]

        monkeypatch.setenv("SOSA_WEBHOOK_SECRET_KEYS", json.dumps([first]))
        async with engine.begin() as connection:
            await connection.run_sync(_run, "upgrade", "head")
        sealed = await stored()
        assert all(s.startswith(PREFIX) for s in sealed)
        assert not {current, old} & set(sealed)
        assert [SecretBox([first]).open(s) for s in sealed] == [current, old]

        # rotation: a new key first, the old one kept to decrypt until every row is re-sealed
        box = SecretBox([second, first])
        assert (
            await reseal(db.sessionmaker(engine), box, [tables.endpoints, tables.endpoint_secrets])
            == 2
        )
        assert (
            await reseal(db.sessionmaker(engine), box, [tables.endpoints, tables.endpoint_secrets])
            == 0
        )
        assert [SecretBox([second]).open(s) for s in await stored()] == [current, old]

        monkeypatch.setenv("SOSA_WEBHOOK_SECRET_KEYS", json.dumps([second]))
        async with engine.begin() as connection:
            await connection.run_sync(_run, "downgrade", BEFORE)
        assert await stored() == [current, old]
    finally:
        await engine.dispose()
