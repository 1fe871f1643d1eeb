"""What the router does with each command: load the request, ask the rules, record the change.

Every command yields outcome events (a transition, a refusal, a reminder, an escalation), each
with the request's next sequence number. They are returned as outputs; the processor publishes
them in the same Kafka transaction that commits the command's offset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sosa import rules
from sosa.contracts import commands, outcomes
from sosa.contracts.envelope import Envelope
from sosa.decisions import lifecycle, translate
from sosa.decisions.config import RulesConfig
from sosa.infra.clock import Clock
from sosa.router import postures, timers
from sosa.router.batch_state import BatchState, NewRequest, RequestRecord
from sosa.router.escalation import EARLY_SUGGESTION, escalation_for
from sosa.router.incoming import Incoming
from sosa.router.outcome_outputs import OutcomeWriter
from sosa.router.outputs import Output

log = logging.getLogger(__name__)


class UnknownRequestError(LookupError):
    """A command names a request the router has never seen (sent to the dead-letter topic)."""


@dataclass(frozen=True, slots=True)
class Handlers:
    """Decides commands with the rules; built once per process with its configuration."""

    config: RulesConfig
    writer: OutcomeWriter
    clock: Clock

    async def __call__(
        self, session: AsyncSession, state: BatchState, incoming: Incoming
    ) -> list[Output]:
        """The outputs of one command; its changes are made to `state` (the batch's, written
        back by the processor), read from `session` only for a request not preloaded."""
        message, command = incoming.message, incoming.command
        board = rules.PostureBoard(self.config.postures, state.postures)
        if isinstance(command, commands.SetPosture):
            return await postures.set_posture(
                session,
                state,
                command,
                message,
                config=self.config,
                source=self.writer.source,
                now=self.clock.now(),
            )
        record = await state.request(session, command.request_id)
        if isinstance(command, commands.SubmitRequest):
            return self.submit(state, command, message, existing=record, board=board)
        if record is None:
            raise UnknownRequestError(f"no request {command.request_id} for {message.type}")
        if isinstance(command, commands.ClockTick):
            return self.tick(state, command, record, message, board=board)
        return self.judge(state, command, record, message, board=board)

    def submit(
        self,
        state: BatchState,
        command: commands.SubmitRequest,
        message: Envelope,
        *,
        existing: RequestRecord | None,
        board: rules.PostureBoard,
    ) -> list[Output]:
        if existing is not None:
            log.warning("duplicate submit ignored", extra={"request_id": command.request_id})
            return []
        now = self.clock.now()
        decided = translate.decide_submission(command, self.config, board)
        record = RequestRecord(
            request_id=command.request_id,
            facts=decided.facts,
            sequence=0,
            details_json=command.details.model_dump_json(),
            last_decision=decided.record,
        )
        event = self.writer.transition(
            record, decided, previous=rules.RequestStatus.RECEIVED, cause=message, now=now
        )
        record = record.deciding(decided.record, sequence=event.sequence)
        new = NewRequest(rating=command.details.rating, received_at=command.received_at)
        state.insert(record, new, now=now)
        timers.reschedule(state, None, decided.facts, decided.record)
        return self.writer.outputs([event], cause=message, now=now, known=record.decision_text)

    def judge(
        self,
        state: BatchState,
        command: commands.Command,
        record: RequestRecord,
        message: Envelope,
        *,
        board: rules.PostureBoard,
    ) -> list[Output]:
        now = self.clock.now()
        # Decided as of intake's receipt of the command, never the router's processing time: a
        # response is late, and a clock an authorization or amendment starts runs, from when
        # the party's answer or change was received (15 CFR 700.13(d), 700.16(b) and (c)), so
        # a decision depends only on its commands and replaying them gives the same deadlines.
        decided = lifecycle.decide_command(
            command, record.facts, self.config, now=command.received_at, postures=board
        )
        if decided.refused:
            refusal = self.writer.refusal(record, decided, command, cause=message, now=now)
            return self._record(state, record, record.facts, [refusal], message, now)
        event = self.writer.transition(
            record, decided, previous=record.facts.status, cause=message, now=now
        )
        updated = record.deciding(decided.record)
        timers.reschedule(state, record.facts, decided.facts, decided.record)
        return self._record(state, updated, decided.facts, [event], message, now)

    def tick(
        self,
        state: BatchState,
        tick: commands.ClockTick,
        record: RequestRecord,
        message: Envelope,
        *,
        board: rules.PostureBoard,
    ) -> list[Output]:
        if not state.timer_is_set(tick):
            return []  # the clock was restarted or stopped since this timer was set
        if record.facts.status is not rules.RequestStatus.ROUTED:
            return []  # answered (or closed) meanwhile: nothing to remind of or escalate
        now = max(self.clock.now(), tick.due_at)
        if tick.timer == "reminder":
            event = self.writer.reminder(record, tick, cause=message, now=now)
            return self._record(state, record, record.facts, [event], message, now)
        if tick.timer == "escalation":
            return self.escalate_early(state, record, message, board, now)
        decided = lifecycle.decide_deadline(record.facts, now=now)
        if decided.refused:
            return []
        overdue = self.writer.transition(
            record, decided, previous=record.facts.status, cause=message, now=now
        )
        escalated_to, suggestion, facts = escalation_for(decided.facts, record.details)
        updated = record.deciding(decided.record, sequence=overdue.sequence)
        escalation = self.writer.escalation(
            updated,
            decided,
            escalated_to=escalated_to,
            suggestion=suggestion,
            facts=facts,
            cause=message,
            now=now,
        )
        timers.reschedule(state, record.facts, decided.facts, decided.record)
        return self._record(state, updated, decided.facts, [overdue, escalation], message, now)

    def escalate_early(
        self,
        state: BatchState,
        record: RequestRecord,
        message: Envelope,
        board: rules.PostureBoard,
        now: datetime,
    ) -> list[Output]:
        """A posture's margin before the deadline, still unanswered: whoever would act on an
        overdue request hears now; the state and the deadline stay."""
        decided = lifecycle.decide_early_escalation(record.facts, board, now=now)
        if decided.refused:
            return []
        escalated_to, _, facts = escalation_for(record.facts, record.details)
        escalation = self.writer.escalation(
            record,
            decided,
            escalated_to=escalated_to,
            suggestion=EARLY_SUGGESTION,
            facts=facts,
            cause=message,
            now=now,
            early=True,
        )
        return self._record(state, record, record.facts, [escalation], message, now)

    def _record(
        self,
        state: BatchState,
        record: RequestRecord,
        facts: rules.RequestFacts,
        events: list[outcomes.OutcomeEvent],
        cause: Envelope,
        now: datetime,
    ) -> list[Output]:
        saved = replace(record, facts=facts, sequence=events[-1].sequence)
        state.save(saved, now=now)
        return self.writer.outputs(events, cause=cause, now=now, known=saved.decision_text)
