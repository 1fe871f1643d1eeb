"""What the router does with each command: load the request, ask the rules, record the change."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands, envelope, outcomes, topics
from sosa.contracts.envelope import Envelope
from sosa.contracts.states import RequestState
from sosa.decisions import translate
from sosa.infra.clock import Clock
from sosa.router import tables
from sosa.router.outputs import Output

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Handlers:
    """Decides commands with the rules; built once per process with its configuration."""

    rules: translate.RulesConfig
    source: str
    clock: Clock

    async def __call__(self, session: AsyncSession, message: Envelope) -> list[Output]:
        command = commands.parse_command(message.type, message.data)
        if isinstance(command, commands.SubmitRequest):
            return await self.submit(session, command, message)
        raise ValueError(f"no handler for command {message.type}")

    async def submit(
        self, session: AsyncSession, command: commands.SubmitRequest, message: Envelope
    ) -> list[Output]:
        known = (
            await session.execute(
                select(tables.requests.c.request_id).where(
                    tables.requests.c.request_id == command.request_id
                )
            )
        ).scalar_one_or_none()
        if known is not None:
            log.warning("duplicate submit ignored", extra={"request_id": command.request_id})
            return []
        decision = translate.decide_submission(command, self.rules)
        now = self.clock.now()
        event = outcomes.RequestTransitioned(
            event_id=str(uuid.uuid4()),
            request_id=command.request_id,
            sequence=1,
            state=decision.state,
            previous_state=RequestState.RECEIVED,
            path=decision.path,
            decision=decision.record,
            parties=decision.parties,
            caused_by=command.command_id,
            occurred_at=now,
        )
        await session.execute(
            tables.requests.insert().values(
                request_id=command.request_id,
                state=event.state,
                path=event.path,
                rating=command.details.rating,
                requester=command.details.requester.party_id,
                supplier=command.details.supplier.party_id,
                deadline=decision.record.deadline,
                sequence=event.sequence,
                details=command.details.model_dump(mode="json"),
                received_at=command.received_at,
                updated_at=now,
            )
        )
        return [self._outcome(event, message, now)]

    def _outcome(
        self, event: outcomes.RequestTransitioned, cause: Envelope, now: datetime
    ) -> Output:
        return Output(
            topic=topics.OUTCOMES,
            envelope=envelope.wrap(
                event,
                event_id=event.event_id,
                event_type=outcomes.TRANSITIONED,
                source=self.source,
                subject=event.request_id,
                time=now,
                traceparent=cause.traceparent,
            ),
        )
