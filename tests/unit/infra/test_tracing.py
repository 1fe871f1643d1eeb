"""Trace propagation helpers: a message's `traceparent` is continued by a span of our own, whose
context the next message (or the webhook) carries on; with the exporter off as well."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased
from opentelemetry.trace import SpanKind

from sosa.contracts import envelope
from sosa.decisions.config import RulesConfig
from sosa.infra import tracing
from sosa.infra.decoding import read_outcome
from sosa.infra.settings import CommonSettings
from sosa.notifier import webhooks
from sosa.notifier.signing import new_secret
from sosa.router.outcome_outputs import OutcomeWriter
from tests.unit.intake.builders import FINDING, T0, transitioned

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
SAMPLED = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
NOT_SAMPLED = f"00-{TRACE_ID}-{CALLER_SPAN}-00"


@pytest.fixture(scope="module")
def exported() -> Iterator[InMemorySpanExporter]:
    """The process's provider as services set it up with the default exporter (none), with an
    in-memory exporter added to see what is recorded."""
    provider = tracing.setup("sosa-test", CommonSettings())
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
def spans(exported: InMemorySpanExporter) -> InMemorySpanExporter:
    exported.clear()
    return exported


def parts(traceparent: str | None) -> tuple[str, str, str, str]:
    assert traceparent is not None
    version, trace_id, span_id, flags = traceparent.split("-")
    return version, trace_id, span_id, flags


def test_the_default_is_the_sdk_provider_exporting_nothing(spans: InMemorySpanExporter) -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    assert isinstance(provider.sampler, ParentBased)
    assert tracing.setup("sosa-other", CommonSettings()) is provider  # the first call wins
    assert provider.resource.attributes["service.name"] == "sosa-test"


def test_outside_any_span_there_is_no_traceparent() -> None:
    assert tracing.current_traceparent() is None


def test_a_span_continues_the_callers_trace_with_a_span_id_of_its_own(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.continued_span("step", SAMPLED, attributes={"sosa.event_id": "e1"}):
        tracing.annotate({"sosa.rule_ids": ["R1", "R2"]})
        inside = tracing.current_traceparent()
    _, trace_id, span_id, flags = parts(inside)
    assert (trace_id, flags) == (TRACE_ID, "01")
    assert span_id != CALLER_SPAN
    (span,) = spans.get_finished_spans()
    assert span.name == "step"
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == CALLER_SPAN
    assert format(span.context.span_id, "016x") == span_id
    assert dict(span.attributes or {}) == {"sosa.event_id": "e1", "sosa.rule_ids": ("R1", "R2")}


def test_an_unsampled_caller_still_propagates_and_nothing_is_recorded(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.continued_span("step", NOT_SAMPLED):
        inside = tracing.current_traceparent()
    _, trace_id, span_id, flags = parts(inside)
    assert (trace_id, flags) == (TRACE_ID, "00")
    assert span_id != CALLER_SPAN
    assert spans.get_finished_spans() == ()


@pytest.mark.parametrize(
    "traceparent", [None, "", "00-not-a-trace-01", f"00-{'0' * 32}-{CALLER_SPAN}-01"]
)
def test_without_a_valid_traceparent_a_new_trace_starts(
    traceparent: str | None, spans: InMemorySpanExporter
) -> None:
    with tracing.continued_span("step", traceparent):
        inside = tracing.current_traceparent()
    _, trace_id, _, flags = parts(inside)
    assert trace_id not in {TRACE_ID, "0" * 32}
    assert not int(flags, 16) & 1  # exporter off: a trace started here is not sampled
    assert spans.get_finished_spans() == ()


def test_an_exception_is_recorded_on_the_span(spans: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="boom"), tracing.continued_span("step", SAMPLED):
        raise ValueError("boom")
    (span,) = spans.get_finished_spans()
    assert not span.status.is_ok
    assert [e.name for e in span.events] == ["exception"]


def test_the_router_outcomes_carry_the_decision_spans_context(
    spans: InMemorySpanExporter,
) -> None:
    event = transitioned("r1", 1, "routed")  # type: ignore[arg-type]
    cause = envelope.wrap(
        event,
        event_id="c1",
        event_type="t",
        source="/s",
        subject="r1",
        time=T0,
        traceparent=SAMPLED,
    )
    writer = OutcomeWriter(config=cast(RulesConfig, None), source="/sosa/router")
    with tracing.continued_span("router decide", cause.traceparent):
        decided = tracing.current_traceparent()
        outputs = writer.outputs([event], cause=cause, now=T0)
    assert decided != SAMPLED
    assert [dict(o.headers)["ce_traceparent"].decode() for o in outputs] == [decided]
    (span,) = spans.get_finished_spans()
    assert (span.attributes or {})["sosa.rule_ids"] == (FINDING.rule_id,)
    # outside any span (tests, tools) the cause's traceparent is passed on as it is
    outputs = writer.outputs([event], cause=cause, now=T0)
    assert {dict(o.headers)["ce_traceparent"].decode() for o in outputs} == {SAMPLED}


def test_the_notifier_reads_each_outcomes_traceparent() -> None:
    event = transitioned("r1", 1, "routed")  # type: ignore[arg-type]
    key, value, headers = envelope.to_kafka(
        envelope.wrap(
            event,
            event_id=event.event_id,
            event_type="sosa.outcome.transitioned.v1",
            source="/s",
            subject="r1",
            time=T0,
            traceparent=SAMPLED,
        )
    )
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        "t", 0, 0, 0, 0, key, value, None, len(key), len(value), tuple(headers)
    )
    read = read_outcome(record)
    assert read.event == event
    assert read.traceparent == SAMPLED


async def test_the_webhook_carries_the_attempts_traceparent() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def send(traceparent: str | None) -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            return await webhooks.send(
                client,
                url="https://hooks.example/in",
                secrets=[new_secret()],
                message_id="evt-1",
                payload="{}",
                now=T0,
                timeout_s=1,
                retry_after_cap_s=60,
                traceparent=traceparent,
            )

    assert (await send(SAMPLED)).delivered
    assert (await send(None)).delivered
    assert seen[0].headers["traceparent"] == SAMPLED
    assert "traceparent" not in seen[1].headers


def app_seeing_its_traceparent(settings: CommonSettings) -> FastAPI:
    """An app whose routes answer the `traceparent` in force while they run."""
    app = FastAPI(telemetry=tracing.telemetry(settings))

    @app.get("/v1/thing")
    @app.get("/healthz")
    async def seen() -> dict[str, str | None]:
        return {"traceparent": tracing.current_traceparent()}

    return app


@pytest.mark.parametrize("exporter", ["none", "console"])
async def test_an_http_request_continues_the_caller_s_trace_with_or_without_an_exporter(
    spans: InMemorySpanExporter, exporter: str
) -> None:
    """FastAPI's own telemetry makes a server span that continues the caller's trace (with an
    exporter, the spans of the endpoint's steps too); a health check is left out."""
    settings = CommonSettings(traces_exporter=exporter)  # type: ignore[arg-type]
    app = app_seeing_its_traceparent(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sosa.test") as client:
        traced = (await client.get("/v1/thing", headers={"traceparent": SAMPLED})).json()
        fresh = (await client.get("/v1/thing")).json()
        health = (await client.get("/healthz", headers={"traceparent": SAMPLED})).json()
    _, trace_id, span_id, _ = parts(traced["traceparent"])
    assert trace_id == TRACE_ID
    assert span_id != CALLER_SPAN
    assert parts(fresh["traceparent"])[1] != TRACE_ID  # a new trace
    assert health["traceparent"] is None
    server = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert server, "the request's own server span was recorded (the caller sampled it)"
    assert all(format(s.context.trace_id, "032x") == TRACE_ID for s in server)
