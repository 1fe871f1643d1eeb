"""Putting requests and outcome events into intake's database the way its routes and worker do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import outcomes
from sosa.contracts.parties import Role
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra.auth import Caller
from sosa.intake.commands.answers import CommandAccepted, SubmissionAccepted
from sosa.intake.commands.follow_ups import LifecycleDetails, command_write
from sosa.intake.commands.idempotency import Key
from sosa.intake.commands.submissions import submission
from sosa.intake.commands.writes import Write, store_all
from sosa.intake.views.read_model import apply_outcomes

MIGRATIONS = "sosa.intake:migrations"
Sessions = async_sessionmaker[AsyncSession]


def caller(party_id: str = "dod-navsea", *roles: Role) -> Caller:
    return Caller(party_id, frozenset(roles or {Role.REQUESTER}), "api_key")


async def store(sessions: Sessions, *writes: Write[Any]) -> list[Write[Any]]:
    """Store writes in one transaction, as one group commit of intake does; returns those
    stored (the others' idempotency key was taken)."""
    async with sessions() as session, session.begin():
        return await store_all(session, writes)


def submission_of(
    body: dict[str, Any] | PriorityRequestDetails,
    *,
    now: datetime,
    key: Key | None = None,
    party_id: str = "dod-navsea",
) -> Write[SubmissionAccepted]:
    details = body if isinstance(body, PriorityRequestDetails) else None
    return submission(
        details or PriorityRequestDetails.model_validate(body),
        caller=caller(party_id),
        key=key,
        now=now,
        source="/test",
    )


async def submit(sessions: Sessions, body: dict[str, Any], *, now: datetime) -> str:
    """Accept a submission as intake's route does; returns the new request id."""
    write = submission_of(body, now=now)
    assert await store(sessions, write) == [write]
    return write.answer.request_id


async def command(
    sessions: Sessions, request_id: str, details: LifecycleDetails, *, now: datetime
) -> CommandAccepted:
    """Accept a command for a request as intake's route does (once the caller is checked)."""
    write = command_write(
        request_id,
        details,
        caller=caller("acme-valves", Role.SUPPLIER),
        key=None,
        now=now,
        source="/test",
    )
    assert await store(sessions, write) == [write]
    return write.answer


async def apply(sessions: Sessions, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Apply one batch of outcome events as the read-model worker does."""
    async with sessions() as session, session.begin():
        await apply_outcomes(session, events)


async def count(sessions: Sessions, table: str) -> int:
    async with sessions() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
