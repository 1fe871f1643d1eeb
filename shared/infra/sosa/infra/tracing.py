"""OpenTelemetry traces across HTTP → Kafka → webhook (docs/architecture.md, "Traces").

One trace follows a request: intake's server span (FastAPI's own OpenTelemetry, continuing the
caller's W3C `traceparent`) → the command's `traceparent` (outbox row, `ce_traceparent` header)
→ the router's span for that command → each outcome's `traceparent` → the notifier's span for
each delivery attempt → the `traceparent` header of the webhook POST.

`SOSA_TRACES_EXPORTER` chooses where finished spans go: `none` (the default), `otlp` (OTLP over
HTTP, to the standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or
`console` (a JSON line per span on stdout). With `none`, the SDK provider is still installed,
with no span processor and a sampler that samples only what the caller asked to sample: every
hop still gets a trace id and a span id of its own, so the `traceparent` always propagates (a
trace started here carries the flag "not sampled"), and nothing is exported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from sosa.infra.settings import CommonSettings, TracesExporter

log = logging.getLogger(__name__)

TRACEPARENT: Final = "traceparent"
_PROPAGATOR: Final = TraceContextTextMapPropagator()
_UNTRACED: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_tracer = trace.get_tracer("sosa")
"""Resolves to the process's provider when a span starts: the SDK's once `setup` has run,
the API's no-op one before (which still passes a parent's context on unchanged)."""

AttributeValue = str | bool | int | float | Sequence[str]


def setup(service_name: str, settings: CommonSettings) -> TracerProvider:
    """Install the process's tracer provider for `service_name` (the first call wins; a provider
    installed before, by `opentelemetry-instrument` for instance, is kept as it is)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    exporter = _exporter(settings.traces_exporter)
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        # none: nothing of our own is sampled; otherwise the SDK's default, parent-based and
        # always on unless OTEL_TRACES_SAMPLER says otherwise
        sampler=ParentBased(ALWAYS_OFF) if exporter is None else None,
    )
    if isinstance(exporter, ConsoleSpanExporter):
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if exporter is not None:
        log.info(
            "traces exported",
            extra={"service_name": service_name, "exporter": settings.traces_exporter},
        )
    return provider


def _exporter(kind: TracesExporter) -> SpanExporter | None:
    if kind == "otlp":
        # imported only when chosen: the endpoint comes from the standard OTEL_* variables
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if kind == "console":
        # one JSON line per span, beside the JSON log lines on stdout
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
    return None


def telemetry(settings: CommonSettings) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry for a service's app (`FastAPI(telemetry=...)`): a server span
    for each HTTP request, continuing the caller's `traceparent` (health checks and metrics
    scrapes left out). With spans exported, also the spans of dependency resolution, the
    endpoint and serialization; with none (the default), only the server span, which is all the
    trace needs to go on. FastAPI's metrics and log records stay off: Prometheus (`/metrics`)
    and the JSON logs do those."""
    return {
        "tracing": True,
        "operation_spans": settings.traces_exporter != "none",
        "metrics": False,
        "logs": False,
        "exclude": _untraced,
    }


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in _UNTRACED


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the span in progress, or None outside any trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> Context:
    """The context a `traceparent` names: an empty one (a new trace) when it is absent or
    malformed."""
    if not traceparent:
        return Context()
    return _PROPAGATOR.extract({TRACEPARENT: traceparent}, context=Context())


@contextmanager
def continued_span(
    name: str,
    traceparent: str | None,
    *,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """A span, made current, that continues the trace of `traceparent` (a message's), or starts
    a new trace without one; an exception escaping it is recorded on it."""
    with _tracer.start_as_current_span(
        name, context=context_of(traceparent), kind=kind, attributes=attributes
    ) as span:
        yield span


def annotate(attributes: Mapping[str, AttributeValue]) -> None:
    """Add attributes to the span in progress (nothing outside a recorded span)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)
