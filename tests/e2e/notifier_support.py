"""What the notifier's end-to-end tests share: the notifier alone as a process, synthetic outcome
events published to its topic, scripted webhook receivers, an SMTP server and an SSE reader.

Fixtures are imported by the test modules that use them (tests/e2e/conftest.py stays as is).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sosa.contracts import envelope, outcomes
from sosa.contracts.outcomes import DecisionRecord, OutcomeEvent, Parties
from sosa.contracts.states import RequestState, RoutePath
from tests.e2e.credentials import bearer
from tests.e2e.stack import Stack, free_port, running, stack_env, unique_prefix
from tests.kafka_principals import as_super_user

OPERATORS = "ops"


# --- the notifier as a process ---------------------------------------------------------------

Launch = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def launch_notifier(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[Launch]:
    """Start the notifier alone (no router, no intake), with settings overridden per test."""
    ports = {"intake": free_port(), "router": free_port(), "notifier": free_port()}
    env = stack_env(kafka=kafka_bootstrap, databases=databases, ports=ports, prefix=unique_prefix())
    env.update(SOSA_OPERATOR_PARTIES=json.dumps([OPERATORS]), SOSA_MAINTENANCE_INTERVAL_S="0.2")
    stack = Stack(env=env, ports=ports, logs=tmp_path)

    async def launch(**overrides: str) -> Stack:
        stack.env.update({f"SOSA_{name.upper()}": value for name, value in overrides.items()})
        stack.start("notifier")
        await stack.wait_ready("notifier")
        return stack

    with running(stack):
        yield launch


def party_headers(party: str) -> dict[str, str]:
    """A bearer token for `party`: operators' (OPERATORS) with the operator role."""
    return bearer(party, "operator") if party == OPERATORS else bearer(party, "requester")


def api(stack: Stack, party: str) -> httpx.AsyncClient:
    """A client of the notifier's API calling as `party`."""
    return httpx.AsyncClient(
        base_url=stack.url("notifier"), headers=party_headers(party), timeout=10
    )


async def subscribe(client: httpx.AsyncClient, url: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/v1/endpoints", json={"url": url, **extra})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- synthetic outcome events ----------------------------------------------------------------


def routed(
    *,
    requester: str = "dod-navsea",
    supplier: str = "acme-valves",
    request_id: str | None = None,
    sequence: int = 1,
    deadline: datetime | None = None,
    pending_authority: str | None = None,
    state: RequestState = RequestState.ROUTED,
) -> outcomes.RequestTransitioned:
    """A request that has just been routed (or moved to `state`), as the router would say it."""
    now = datetime.now(UTC)
    return outcomes.RequestTransitioned(
        event_id=str(uuid.uuid4()),
        request_id=request_id or f"req-{uuid.uuid4().hex[:12]}",
        sequence=sequence,
        state=state,
        previous_state=RequestState.RECEIVED,
        path=RoutePath.DPAS,
        decision=DecisionRecord(
            outcome="dpas_rated_order",
            rating="DO-A3",
            clock="working_days",
            clock_started_at=now,
            deadline=deadline or now + timedelta(days=21),
            awaiting=pending_authority,
            ruleset_version="test",
        ),
        parties=Parties(
            requester=requester, supplier=supplier, pending_authority=pending_authority
        ),
        caused_by=str(uuid.uuid4()),
        occurred_at=now,
    )


class Outcomes:
    """Publishes outcome events to the notifier's (prefixed) outcome topic."""

    def __init__(self, stack: Stack) -> None:
        self._topic = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1"
        # outcomes in the router's place: the brokers' super user, explicitly
        self._producer = AIOKafkaProducer(
            **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]), acks="all"
        )

    async def __aenter__(self) -> Outcomes:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def publish(self, *events: OutcomeEvent) -> None:
        for event in events:
            message = envelope.wrap(
                event,
                event_id=event.event_id,
                event_type=str(getattr(event, "type")),  # noqa: B009 - each subclass has one
                source="/tests/router",
                subject=event.request_id,
                time=event.occurred_at,
            )
            key, value, headers = envelope.to_kafka(message)
            await self._producer.send_and_wait(self._topic, value, key=key, headers=headers)


async def read_topic(stack: Stack, topic: str, count: int, timeout_s: float = 30) -> list[Any]:
    """The first `count` records of a prefixed topic."""
    consumer = AIOKafkaConsumer(
        f"{stack.env['SOSA_TOPIC_PREFIX']}{topic}",
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(records)
    finally:
        await consumer.stop()
    return found


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 30) -> None:
    async with asyncio.timeout(timeout_s):
        while not await check():  # noqa: ASYNC110 - polls the API, not an event
            await asyncio.sleep(0.1)


# --- webhook receivers -----------------------------------------------------------------------


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Hook:
    """One receiving URL: answers with `statuses` in turn (then 204), after `delay_s`."""

    url: str
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    hits: list[Hit] = field(default_factory=list)

    async def wait_for(self, count: int, timeout_s: float = 30) -> list[Hit]:
        async with asyncio.timeout(timeout_s):
            while len(self.hits) < count:  # noqa: ASYNC110 - filled by the server task
                await asyncio.sleep(0.05)
        return self.hits

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(hit.body) for hit in self.hits]


class Hooks:
    def __init__(self, port: int) -> None:
        self._port = port
        self._hooks: dict[str, Hook] = {}

    def add(self, statuses: list[int] | None = None, delay_s: float = 0.0) -> Hook:
        name = uuid.uuid4().hex[:8]
        hook = Hook(f"http://127.0.0.1:{self._port}/{name}", list(statuses or []), delay_s)
        self._hooks[name] = hook
        return hook

    async def handle(self, request: Request) -> Response:
        hook = self._hooks[request.path_params["name"]]
        body = await request.body()
        if hook.delay_s:
            await asyncio.sleep(hook.delay_s)
        hook.hits.append(Hit(dict(request.headers), body, asyncio.get_running_loop().time()))
        return Response(status_code=hook.statuses.pop(0) if hook.statuses else 204)


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    port = free_port()
    box = Hooks(port)
    app = Starlette(routes=[Route("/{name}", box.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    yield box
    server.should_exit = True
    await task


# --- a real SMTP server on loopback ----------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout_s: float = 30) -> list[EmailMessage]:
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:  # noqa: ASYNC110 - filled by aiosmtpd's thread
                await asyncio.sleep(0.05)
        return self.received


@pytest.fixture
def smtp() -> Any:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


# --- the live stream -------------------------------------------------------------------------


@dataclass
class Sse:
    id: str
    event: str
    data: dict[str, Any]


async def read_stream(
    stack: Stack, party: str, count: int, *, last_event_id: str | None = None, timeout_s: float = 20
) -> list[Sse]:
    """Connect to `/v1/stream` as `party`, read `count` events, disconnect."""
    headers = party_headers(party)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    found: list[Sse] = []
    current: dict[str, str] = {}
    async with (
        asyncio.timeout(timeout_s),
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", f"{stack.url('notifier')}/v1/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line == "" and "data" in current:
                found.append(Sse(current["id"], current["event"], json.loads(current["data"])))
                current = {}
                if len(found) == count:
                    break
            elif ":" in line and not line.startswith(":"):
                name, _, value = line.partition(":")
                current[name] = value.removeprefix(" ")
    return found
