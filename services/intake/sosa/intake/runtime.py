"""What intake's routes and workers share while the process runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import anyio
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.decisions.config import RulesConfig
from sosa.infra.auth import KeysInTables
from sosa.infra.clock import Clock
from sosa.infra.group_commit import GroupCommit
from sosa.infra.outbox import OutboxRelay
from sosa.intake.commands import idempotency
from sosa.intake.commands.idempotency import Key
from sosa.intake.commands.writes import AnswerT, Write
from sosa.intake.insights.pipeline_watch import PipelineWatch
from sosa.intake.parties.kept_facts import KeptFacts
from sosa.intake.settings import IntakeSettings

FIGURES_AT_ONCE: Final = 1
"""How many resilience figures an intake process computes at a time (#24): a dashboard asks for
its five at once every 15 s; one at a time, and each without parallel workers in PostgreSQL
(`api.analytics`), they take at most one of the database's cores, and the submits keep the
rest."""


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: IntakeSettings
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    clock: Clock
    rules: RulesConfig
    """For the dry run only: intake never decides a request it stores."""
    group_commit: GroupCommit[Write[Any]]
    pipeline: PipelineWatch
    """Consumer lag and dead letters, for the operators' panel of the dashboard."""
    credentials: KeysInTables
    """The API keys and disabled parties the authenticator reads, kept `SOSA_AUTH_CACHE_S`."""
    facts: KeptFacts
    """The parties' registered facts a submit reads, kept `SOSA_AUTH_CACHE_S`."""
    figure_slots: anyio.Semaphore = field(default_factory=lambda: anyio.Semaphore(FIGURES_AT_ONCE))
    """The figures computed at a time (`FIGURES_AT_ONCE`); the others wait their turn."""

    def parties_changed(self) -> None:
        """A party or a key was changed and committed here: forget what was kept of them (so
        that a revocation or a disabling counts at once on this instance) and wake the relay
        that publishes the change."""
        self.credentials.forget()
        self.facts.forget()
        self.relay.wake()

    async def accept(
        self, write: Write[AnswerT], *, key: Key | None, party_id: str, body: BaseModel
    ) -> AnswerT:
        """Store an accepted POST's rows (with other requests': group commit) and return its
        answer once they are committed; when its Idempotency-Key was taken meanwhile, the
        first answer to that key is replayed instead (or a 422)."""
        if not await self.group_commit.store(write):
            async with self.sessions() as session:
                await idempotency.replay_taken(session, key, party_id=party_id, body=body)
        return write.answer
