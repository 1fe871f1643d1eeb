"""Builds outcome events and wraps them as outputs on `sosa.outcomes.v1`.

The events are built without validating them again (`sosa.decisions.trusted`: as
`model_construct` would build them, the walk over the model's fields made once per model): every
value in them is the router's own, from commands validated where they were read off Kafka
(`incoming`), the rules' decision (`translate.to_record`) and the router's clock. A record read
from Kafka is always validated; what is constructed here only ever goes out. An escalation (once
per overdue request, not per command) is still validated: the wire restricts whom it names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry import trace

from sosa import rules
from sosa.contracts import commands, involvement, outcomes, topics
from sosa.contracts.envelope import Envelope
from sosa.contracts.states import RequestState, RoutePath
from sosa.decisions import translate
from sosa.decisions.config import RulesConfig
from sosa.decisions.trusted import Trusted
from sosa.infra import tracing
from sosa.router.batch_state import RequestRecord
from sosa.router.outputs import Output


@dataclass(frozen=True, slots=True)
class OutcomeWriter:
    config: RulesConfig
    source: str

    def transition(
        self,
        record: RequestRecord,
        decided: translate.Decided,
        *,
        previous: rules.RequestStatus,
        cause: Envelope,
        now: datetime,
    ) -> outcomes.RequestTransitioned:
        return _TRANSITIONED(
            **self._common(record, decided.facts, decided.record, cause, now),
            previous_state=RequestState(str(previous)),
        )

    def refusal(
        self,
        record: RequestRecord,
        decided: translate.Decided,
        command: commands.Command,
        *,
        cause: Envelope,
        now: datetime,
    ) -> outcomes.CommandRefused:
        return _REFUSED(
            **self._common(record, record.facts, decided.record, cause, now),
            command_type=cause.type,
            actor=involvement.actor(command),
        )

    def reminder(
        self, record: RequestRecord, tick: commands.ClockTick, *, cause: Envelope, now: datetime
    ) -> outcomes.ResponseReminded:
        return _REMINDED(
            **self._common(record, record.facts, record.last_decision, cause, now),
            due_at=tick.due_at,
        )

    def escalation(
        self,
        record: RequestRecord,
        decided: translate.Decided,
        *,
        escalated_to: str,
        suggestion: str,
        facts: dict[str, Any],
        cause: Envelope,
        now: datetime,
        early: bool = False,
    ) -> outcomes.Escalated:
        return outcomes.Escalated.model_validate(
            {
                **self._common(record, decided.facts, decided.record, cause, now),
                "escalated_to": escalated_to,
                "early": early,
                "suggestion": suggestion,
                "facts": facts,
            }
        )

    def outputs(
        self,
        events: list[outcomes.OutcomeEvent],
        *,
        cause: Envelope,
        now: datetime,
        known: tuple[outcomes.DecisionRecord, str] | None = None,
    ) -> list[Output]:
        """Each event on the outcome stream, carrying on the trace of its command: the cause's own
        `traceparent` (the router decides a poll in a span that is not made current,
        `sosa.router.poll_span`), or a span's made current around this call, annotated."""
        types = [_TYPES[type(e)] for e in events]
        if trace.get_current_span().is_recording():
            tracing.annotate(
                {
                    "sosa.outcome_types": types,
                    "sosa.rule_ids": sorted(
                        {f.rule_id for e in events for f in e.decision.findings}
                    ),
                }
            )
        traceparent = tracing.current_traceparent() or cause.traceparent
        texts = dict([(id(known[0]), known[1])] if known is not None else [])
        outputs = []
        for event, kind in zip(events, types, strict=True):
            decision = texts.get(id(event.decision))
            if decision is None:
                texts[id(event.decision)] = decision = event.decision.model_dump_json()
            outputs.append(
                self._output(
                    topics.OUTCOMES,
                    event,
                    _event_json(event, decision),
                    kind,
                    traceparent,
                    now,
                )
            )
        return outputs

    def _common(
        self,
        record: RequestRecord,
        facts: rules.RequestFacts,
        decision: outcomes.DecisionRecord,
        cause: Envelope,
        now: datetime,
    ) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "request_id": record.request_id,
            "sequence": record.sequence + 1,
            "state": RequestState(str(facts.status)),
            "path": RoutePath(str(facts.path)),
            "decision": decision,
            "parties": translate.parties(facts, self.config),
            "caused_by": cause.id,
            "occurred_at": now,
        }

    def _output(
        self,
        topic: str,
        payload: outcomes.OutcomeEvent,
        data: bytes,
        event_type: str,
        traceparent: str | None,
        now: datetime,
    ) -> Output:
        return Output.of(
            topic,
            Envelope(
                id=payload.event_id,
                type=event_type,
                source=self.source,
                subject=payload.request_id,
                time=now,
                data=data,
                traceparent=traceparent,
            ),
        )


def _event_json(event: outcomes.OutcomeEvent, decision: str) -> bytes:
    """The event's JSON with its decision's JSON made once (`known`: the request's row takes
    the same text) spliced in as the last member, instead of serialised again with the event."""
    rest = event.model_dump_json(exclude=_DECISION)
    return f'{rest[:-1]},"decision":{decision}}}'.encode()


_TRANSITIONED = Trusted(outcomes.RequestTransitioned)
_REFUSED = Trusted(outcomes.CommandRefused)
_REMINDED = Trusted(outcomes.ResponseReminded)
_DECISION: set[str] = {"decision"}
_TYPES: dict[type[outcomes.OutcomeEvent], str] = {
    model: name for name, model in outcomes.OUTCOME_TYPES.items()
}
"""The CloudEvents type of each outcome model (`outcomes.type_of`, looked up once)."""
