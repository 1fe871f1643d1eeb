"""The notifier's HTTP API: subscriptions, the delivery log, and the live stream."""

from __future__ import annotations

from fastapi import APIRouter

from sosa.notifier.api import (
    deliveries,
    endpoints,
    event_catalog,
    failures,
    me,
    recipients,
    stream,
)

router = APIRouter(prefix="/v1")
for module in (endpoints, event_catalog, recipients, deliveries, failures, stream, me):
    router.include_router(module.router)
