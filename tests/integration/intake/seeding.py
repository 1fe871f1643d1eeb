"""Putting requests and outcome events into intake's database the way its routes and worker do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.contracts.requests import PriorityRequestDetails
from sosa.intake.read_model import apply_outcomes
from sosa.intake.submissions import accept_submission

MIGRATIONS = "sosa.intake:migrations"
Sessions = async_sessionmaker[AsyncSession]


async def submit(sessions: Sessions, body: dict[str, Any], *, now: datetime) -> str:
    """Accept a submission as intake's route does; returns the new request id."""
    async with sessions() as session, session.begin():
        accepted = await accept_submission(
            session, PriorityRequestDetails.model_validate(body), now=now, source="/test"
        )
    return accepted.request_id


async def apply(sessions: Sessions, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Apply one batch of outcome events as the read-model worker does."""
    async with sessions() as session, session.begin():
        await apply_outcomes(session, events)


async def count(sessions: Sessions, table: str) -> int:
    async with sessions() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
