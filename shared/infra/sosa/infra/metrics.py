"""Prometheus metrics of the sosa services, and the `/metrics` route that exposes them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

MESSAGES = Counter(
    "sosa_messages_total",
    "Kafka messages consumed, by what became of them "
    "(decided, republished, duplicate, dead_lettered)",
    ["service", "topic", "result"],
)
DEAD_LETTERS = Counter(
    "sosa_dead_letters_total", "Messages sent to a dead-letter topic", ["service", "topic"]
)
PUBLISHED = Counter("sosa_published_total", "Records published to Kafka", ["service", "topic"])
BATCH_SECONDS = Histogram(
    "sosa_batch_seconds",
    "Time to process one batch of one partition, database and Kafka transaction included",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "sosa_batch_size",
    "Items handled together in one batch: records of one partition (notifier, intake's read "
    "model), of one poll's partitions in one database transaction (router) or requests of one "
    "group commit (intake)",
    ["service", "stage"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
DUE_SOON = Gauge(
    "sosa_requests_due_soon",
    "Requests awaiting a supplier's answer whose deadline is less than 24 hours away",
)
OVERDUE = Gauge("sosa_requests_overdue", "Requests whose supplier's deadline passed unanswered")
AUTH_FAILURES = Counter(
    "sosa_auth_failures_total",
    "Refused authentications (401), by reason (missing, api_key, bearer, unsupported)",
    ["service", "reason"],
)
AUTH_THROTTLED = Counter(
    "sosa_auth_throttled_total",
    "Requests refused (429) because their client address failed to authenticate too often",
    ["service"],
)
OVERDUE_TIMERS = Gauge("sosa_timers_due", "Response-clock timers due and not yet fired")
POSTURE = Gauge(
    "sosa_posture_level",
    "The posture in force per scope (`global` or a partner's country code): 0 peacetime, "
    "1 emergency, 2 armed conflict; labelled with the posture and its highlight (postures.json)",
    ["scope", "posture", "highlight"],
)


def metrics_routes(*, include_in_schema: bool = True) -> APIRouter:
    """`/metrics`; a service with a public API leaves it out of its OpenAPI document (it is for
    the deployment's scraper, not for the parties)."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        include_in_schema=include_in_schema,
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
