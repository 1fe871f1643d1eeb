"""Intake's migrations on real databases: revision 0002 fills the new columns of old rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.intake import tables
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import MIGRATIONS

pytestmark = pytest.mark.db
FIRST = "1c71e0c2ff2b"


async def migrate(engine: AsyncEngine, action: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_rows_written_before_0002_get_the_new_columns(engine: AsyncEngine) -> None:
    await migrate(engine, "upgrade", FIRST)
    received = datetime(2026, 11, 2, 9, tzinfo=UTC)
    async with engine.begin() as connection:
        # only the columns revision 0001 had
        await connection.execute(
            tables.request_views.insert().values(
                request_id="old",
                state="routed",
                path="dpas",
                requester="dod-navsea",
                supplier="acme-valves",
                rating="doa3",
                details=DPAS_REQUEST,
                decision={"outcome": "dpas_rated_order", "deadline": "2026-11-21T04:59:59+00:00"},
                last_sequence=1,
                received_at=received,
                updated_at=received,
            )
        )
        await connection.execute(
            tables.request_timeline.insert().values(
                event_id="e1",
                request_id="old",
                sequence=1,
                state="routed",
                previous_state="received",
                decision={},
                occurred_at=received,
            )
        )
    await migrate(engine, "upgrade", "head")
    async with engine.connect() as connection:
        view = (await connection.execute(select(tables.request_views))).one()
        event = (await connection.execute(select(tables.request_timeline))).one()
    assert (view.rating, view.rating_level) == ("DO-A3", "DO")
    assert view.deadline == datetime(2026, 11, 21, 4, 59, 59, tzinfo=UTC)
    assert view.required_delivery_date == date(2027, 3, 1)
    assert view.rated_at == received
    assert event.event_type == "sosa.outcome.transitioned.v1"

    await migrate(engine, "downgrade", FIRST)
    await migrate(engine, "upgrade", "head")
