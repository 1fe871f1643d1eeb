"""The router's span is one per poll (`sosa.router.poll_span`, #25): recorded, it names the
poll's size and requests, links to each command's trace and has an event per command decided;
unrecorded (the default: no exporter), it is a span that samples nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import StatusCode

from sosa.contracts import topics
from sosa.contracts.envelope import Envelope
from sosa.router import poll_span
from sosa.router.outputs import Output
from tests.unit.intake.builders import T0

TRACE = "0af7651916cd43dd8448eb211c80319c"


def message(n: int, traceparent: str | None) -> Envelope:
    return Envelope(
        id=f"c-{n}",
        type="sosa.command.submit.v1",
        source="/intake",
        subject=f"r-{n}",
        time=T0,
        data=b"{}",
        traceparent=traceparent,
    )


def outcome(rule_ids: list[str]) -> Output:
    data = {"decision": {"findings": [{"rule_id": r} for r in rule_ids]}}
    return Output(
        topic=topics.OUTCOMES,
        key=b"r",
        value=json.dumps(data).encode(),
        headers=(("ce_type", b"sosa.outcome.transitioned.v1"),),
    )


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


def provider(exporter: InMemorySpanExporter, *, sampled: bool) -> TracerProvider:
    made = TracerProvider(sampler=ParentBased(ALWAYS_ON if sampled else ALWAYS_OFF))
    made.add_span_processor(SimpleSpanProcessor(exporter))
    return made


def finished(exporter: InMemorySpanExporter) -> ReadableSpan:
    [span] = exporter.get_finished_spans()
    return span


def test_a_recorded_poll_span_links_each_command_and_has_an_event_per_decision(
    exported: InMemorySpanExporter,
) -> None:
    tracer = provider(exported, sampled=True).get_tracer("test")
    messages = [
        message(0, f"00-{TRACE}-b7ad6b7169203331-01"),
        message(1, None),  # no trace to link to
        message(2, f"00-{'1' * 32}-{'2' * 16}-00"),
    ]
    span = poll_span.start(messages, "x.sosa.requests.v1", 2, tracer=tracer)
    poll_span.decided(span, messages[0], [outcome(["R2", "R1"]), outcome(["R1"])])
    poll_span.decided(span, messages[2], [])
    poll_span.end(span)

    done = finished(exported)
    assert done.name == "router decide"
    assert done.parent is None, "a trace of its own: the commands' traces are linked"
    attributes = dict(done.attributes or {})
    assert attributes["messaging.batch.message_count"] == 3
    assert attributes["messaging.destination.name"] == "x.sosa.requests.v1"
    assert attributes["sosa.partitions"] == 2
    assert attributes["sosa.request_ids"] == ("r-0", "r-1", "r-2")
    assert [(f"{link.context.trace_id:032x}", link.context.is_remote) for link in done.links] == [
        (TRACE, True),
        ("1" * 32, True),
    ]
    first, second = done.events
    assert dict(first.attributes or {}) == {
        "sosa.request_id": "r-0",
        "sosa.command_type": "sosa.command.submit.v1",
        "sosa.event_id": "c-0",
        "sosa.outcome_types": ("sosa.outcome.transitioned.v1",) * 2,
        "sosa.rule_ids": ("R1", "R2"),
    }
    assert dict(second.attributes or {})["sosa.outcome_types"] == ()


def test_a_large_poll_names_and_links_a_bounded_number_of_commands(
    exported: InMemorySpanExporter,
) -> None:
    tracer = provider(exported, sampled=True).get_tracer("test")
    messages = [message(n, f"00-{TRACE}-{n + 1:016x}-01") for n in range(500)]
    poll_span.end(poll_span.start(messages, topics.REQUESTS, 3, tracer=tracer))
    done = finished(exported)
    assert dict(done.attributes or {})["messaging.batch.message_count"] == 500
    assert len(dict(done.attributes or {})["sosa.request_ids"]) == poll_span.MAX_NAMED  # type: ignore[arg-type]
    assert len(done.links) == poll_span.MAX_NAMED


def test_a_failed_poll_is_recorded_as_an_error(exported: InMemorySpanExporter) -> None:
    tracer = provider(exported, sampled=True).get_tracer("test")
    span = poll_span.start([message(0, None)], topics.REQUESTS, 1, tracer=tracer)
    poll_span.end(span, ValueError("boom"))
    done = finished(exported)
    assert done.status.status_code is StatusCode.ERROR
    assert [e.name for e in done.events] == ["exception"]


def test_without_an_exporter_the_poll_span_records_nothing(
    exported: InMemorySpanExporter,
) -> None:
    """The services' default sampler (`sosa.infra.tracing.setup` with no exporter): a poll's
    span, a root, is not sampled, even when its commands' traces are."""
    tracer = provider(exported, sampled=False).get_tracer("test")
    span = poll_span.start(
        [message(0, f"00-{TRACE}-b7ad6b7169203331-01")], topics.REQUESTS, 1, tracer=tracer
    )
    assert not span.is_recording()
    poll_span.decided(span, message(0, None), [outcome(["R1"])])
    poll_span.end(span)
    assert exported.get_finished_spans() == ()
