"""What intake's routes and workers share while the process runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.decisions.config import RulesConfig
from sosa.infra.clock import Clock
from sosa.infra.outbox import OutboxRelay
from sosa.intake.settings import IntakeSettings


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: IntakeSettings
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    clock: Clock
    rules: RulesConfig
    """For the dry run only: intake never decides a request it stores."""
