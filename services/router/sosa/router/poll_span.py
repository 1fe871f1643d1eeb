"""The router's span: one per poll (the commands decided in one database transaction), not one
per command.

A span per command cost the router about 7 % of its CPU in a catch-up even with no exporter
(docs/performance.md): each command's `traceparent` parsed, a span id drawn, a context made
current and its attributes built. The poll's span is a new trace of its own that **links** to
each command's trace (OpenTelemetry's way for a batch of messages); it is made current for
nothing, so each outcome carries on its command's own `traceparent` (`OutcomeWriter.outputs`)
and the caller's trace still runs from intake's span to the notifier's.

When the span is recorded (an exporter is set: `SOSA_TRACES_EXPORTER`), it carries the poll's
size, its partitions and the first `MAX_NAMED` request ids, a link to the trace of each of the
first `MAX_NAMED` commands, and an event per command decided (request id, command type, event id,
outcome types, rule ids; the SDK bounds their number). Unrecorded (the default), each command
costs it nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from sosa.contracts import topics
from sosa.contracts.envelope import Envelope
from sosa.infra import tracing
from sosa.router.outputs import Output

NAME: Final = "router decide"
MAX_NAMED: Final = 64
"""Request ids named, and commands linked, per poll at most (a catch-up's poll holds 500)."""
_tracer = trace.get_tracer("sosa.router")


def start(
    messages: Sequence[Envelope], topic: str, partitions: int, *, tracer: Tracer = _tracer
) -> Span:
    """The poll's span, started (not made current); `end` ends it."""
    span = tracer.start_span(
        NAME,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.batch.message_count": len(messages),
            "sosa.partitions": partitions,
        },
    )
    if span.is_recording():
        named = messages[:MAX_NAMED]
        span.set_attribute("sosa.request_ids", [m.subject for m in named])
        for message in named:
            context = trace.get_current_span(tracing.context_of(message.traceparent))
            if context.get_span_context().is_valid:
                span.add_link(context.get_span_context())
    return span


def decided(span: Span, message: Envelope, outputs: Sequence[Output]) -> None:
    """One command's decision as an event of the poll's span (nothing when it is not recorded)."""
    if not span.is_recording():
        return
    outcomes = [o for o in outputs if o.topic == topics.OUTCOMES]
    span.add_event(
        "decided",
        {
            "sosa.request_id": message.subject,
            "sosa.command_type": message.type,
            "sosa.event_id": message.id,
            "sosa.outcome_types": [dict(o.headers)["ce_type"].decode() for o in outcomes],
            "sosa.rule_ids": sorted(
                {
                    finding["rule_id"]
                    for o in outcomes
                    for finding in json.loads(o.value)["decision"]["findings"]
                }
            ),
        },
    )


def end(span: Span, error: BaseException | None = None) -> None:
    if error is not None and span.is_recording():
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    span.end()
