"""Fixtures for end-to-end tests: per-run databases, the three services, a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.e2e.stack import (
    SERVICES,
    Stack,
    free_port,
    fresh_databases,
    running,
    stack_env,
    unique_prefix,
)


@pytest.fixture
async def databases(postgres_admin_url: str) -> AsyncIterator[dict[str, str]]:
    """One fresh PostgreSQL database per service for this test, dropped afterwards."""
    async with fresh_databases(postgres_admin_url) as urls:
        yield urls


@asynccontextmanager
async def three_services(kafka: str, databases: dict[str, str], logs: Path) -> AsyncIterator[Stack]:
    """intake, router and notifier running as separate processes, ready."""
    ports = {service: free_port() for service in SERVICES}
    env = stack_env(kafka=kafka, databases=databases, ports=ports, prefix=unique_prefix())
    with running(Stack(env=env, ports=ports, logs=logs)) as s:
        for service in SERVICES:
            s.start(service)
        for service in SERVICES:
            await s.wait_ready(service)
        yield s


@pytest.fixture
async def stack(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    """A stack of this test's own: for a test that moves a clock, starts or stops a process,
    sets a posture, or counts what a whole database or topic holds."""
    async with three_services(kafka_bootstrap, databases, tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
async def shared_stack(
    kafka_bootstrap: str, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """One stack for the tests of a module that need none of their own: each works on requests
    of its own and reads back only those. Starting a stack costs about 10 s on 2 cores."""
    async with (
        fresh_databases(postgres_admin_url) as urls,
        three_services(kafka_bootstrap, urls, tmp_path_factory.mktemp("shared-stack")) as s,
    ):
        yield s


@dataclass
class Receiver:
    """A webhook receiver on loopback that records every POST it gets."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    status_codes: list[int] = field(default_factory=list)

    async def wait_for(self, count: int, timeout_s: float = 60) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    box = Receiver(url=f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        box.received.append((dict(request.headers), await request.body()))
        box.arrived.set()
        status = box.status_codes.pop(0) if box.status_codes else 204
        return Response(status_code=status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.05)
    yield box
    server.should_exit = True
    await task
