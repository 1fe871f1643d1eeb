"""Reads a request's outcome events straight from the outcome topic, as a dashboard would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

from tests.e2e.stack import Stack
from tests.kafka_principals import as_super_user

Events = list[dict[str, Any]]


class OutcomeLog:
    """Every outcome on `<prefix>sosa.outcomes.v1` (read_committed), grouped by request."""

    def __init__(self, stack: Stack) -> None:
        self._topic = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1"
        self._bootstrap = stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]
        self._by_request: dict[str, Events] = {}
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> OutcomeLog:
        self._consumer = AIOKafkaConsumer(
            self._topic,
            **as_super_user(self._bootstrap),
            group_id=None,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_for(
        self, request_id: str, done: Callable[[Events], bool], timeout_s: float = 60
    ) -> Events:
        """The request's events once `done(events)` holds; fails after `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while not done(self._by_request.get(request_id, [])):
                await self._poll()
        return self._sorted(request_id)

    async def settled(self, request_id: str, quiet_s: float) -> Events:
        """The request's events after reading on for `quiet_s` more seconds (to see duplicates)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + quiet_s
        while loop.time() < until:
            await self._poll()
        return self._sorted(request_id)

    async def _poll(self) -> None:
        assert self._consumer is not None
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                event = json.loads(record.value)
                event["ce_type"] = dict(record.headers)["ce_type"].decode()
                self._by_request.setdefault(event["request_id"], []).append(event)

    def _sorted(self, request_id: str) -> Events:
        return sorted(self._by_request.get(request_id, []), key=lambda e: e["sequence"])


def kinds(events: Events) -> list[str]:
    """Each event as `<kind>:<state>`, e.g. `transitioned:routed`, `refused:routed`."""
    return [f"{e['ce_type'].split('.')[2]}:{e['state']}" for e in events]


def has(count: int) -> Callable[[Events], bool]:
    return lambda events: len(events) >= count
