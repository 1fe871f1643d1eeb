"""Timing instruments: latency summaries, a closed-loop load of POSTs, the fault suite's outcome
reader and webhook receiver with the time each thing was first seen, and the machine's facts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.requests import Request
from starlette.responses import Response

from tests.e2e.credentials import bearer
from tests.faults.infra import ROOT
from tests.faults.support import Receiver, RoutingOutcomes, request_body

REQUESTER = "dod-navsea"
"""The requester of every request posted (tests.faults.support.request_body)."""

# --- summaries -------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_ms(seconds: Iterable[float]) -> dict[str, float | int]:
    """count, p50, p95, p99 and max of `seconds`, in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0}
    summary: dict[str, float | int] = {"count": len(ordered)}
    for q in (50, 95, 99):
        summary[f"p{q}_ms"] = round(percentile(ordered, q) * 1000, 1)
    summary["max_ms"] = round(ordered[-1] * 1000, 1)
    return summary


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


# --- a closed loop of POSTs ------------------------------------------------------------------


@dataclass
class Load:
    """What a closed loop of POSTs got: per request, when its 202 came and how long it took."""

    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    accepted: dict[str, float] = field(default_factory=dict)
    """command id -> time.monotonic() of its 202."""

    @property
    def accepted_per_s(self) -> float:
        return per_second(len(self.accepted), self.seconds)


async def closed_loop(url: str, indices: range, concurrency: int) -> Load:
    """POST one request per index with `concurrency` clients, each sending its next request as
    soon as the previous one is answered: as fast as intake accepts. One bearer token is reused,
    as a real client reuses its token (tests' ActingParty signs one per request, which would
    load the generator more than the server)."""
    load = Load()
    todo = iter(indices)
    headers = bearer(REQUESTER, "requester")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for index in todo:  # one iterator shared by every client: each index is sent once
            key = {"Idempotency-Key": str(uuid.uuid4())}
            sent = time.monotonic()
            try:
                response = await client.post(url, json=request_body(index), headers=key)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            else:
                status = str(response.status_code)
                if response.status_code == 202:
                    answered = time.monotonic()
                    load.latencies_s.append(answered - sent)
                    load.accepted[response.json()["command_id"]] = answered
            load.statuses[status] = load.statuses.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=30, headers=headers, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        load.seconds = time.monotonic() - started
    return load


# --- the fault suite's instruments, with times -----------------------------------------------


class TimedOutcomes(RoutingOutcomes):
    """RoutingOutcomes that also remembers when each outcome was first read (time.monotonic()),
    by the command that caused it and by its event id."""

    def __init__(self, bootstrap: str, outcomes_topic: str) -> None:
        super().__init__(bootstrap, outcomes_topic)
        self.seen_at: dict[str, float] = {}
        self.seen_wall: dict[str, float] = {}
        """command id -> time.time() when its outcome was read (to compare with received_at)."""
        self.event_seen_at: dict[str, float] = {}
        self.event_of: dict[str, str] = {}
        """command id -> event id of its (first) routing outcome."""

    def add(self, record: Any) -> None:
        now, wall = time.monotonic(), time.time()
        super().add(record)
        event = json.loads(record.value)
        if event["caused_by"] not in self.seen_at:
            self.seen_at[event["caused_by"]] = now
            self.seen_wall[event["caused_by"]] = wall
            self.event_of[event["caused_by"]] = event["event_id"]
            self.event_seen_at[event["event_id"]] = now

    async def __aenter__(self) -> TimedOutcomes:
        await super().__aenter__()
        self._stop = asyncio.Event()
        self._reader = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await self._reader
        await super().__aexit__(*exc)

    async def _follow(self) -> None:
        """Read all along (so that each outcome is timed when it arrives, not when awaited)."""
        while not self._stop.is_set():
            await self.poll()

    async def wait_seen(self, command_ids: Iterable[str], timeout_s: float) -> None:
        """Until every command has an outcome or `timeout_s` has passed (the caller counts what
        is missing)."""
        wanted = set(command_ids)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while not wanted <= self.seen_at.keys():  # noqa: ASYNC110 - polled reader
                    await asyncio.sleep(0.05)

    def first_and_last(self, command_ids: Iterable[str]) -> tuple[float, float, int]:
        """When the first and the last outcome of these commands were read, and how many were."""
        times = [self.seen_at[c] for c in command_ids if c in self.seen_at]
        return (min(times), max(times), len(times)) if times else (0.0, 0.0, 0)


class TimedReceiver(Receiver):
    """The fault suite's webhook receiver (answering 204 after `delay_s`) that also remembers
    when each webhook id was first received (time.monotonic())."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(delay_s)
        self.received_at: dict[str, float] = {}
        self.received_wall: dict[str, float] = {}
        """webhook id -> time.time() when it was first received (to compare with received_at)."""
        self.bodies: dict[str, bytes] = {}
        """webhook id -> the body first received under it (anchor c posts them again)."""

    async def __aenter__(self) -> TimedReceiver:
        await super().__aenter__()
        return self

    async def _hook(self, request: Request) -> Response:
        response = await super()._hook(request)
        webhook_id = request.headers["webhook-id"]
        self.received_at.setdefault(webhook_id, time.monotonic())
        self.received_wall.setdefault(webhook_id, time.time())
        self.bodies.setdefault(webhook_id, await request.body())
        return response


async def outbox_rows(database_url: str) -> int:
    """Rows still waiting in intake's outbox (not yet published)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows: int = (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
            return rows
    finally:
        await engine.dispose()


async def commands_received(database_url: str, since: float = 0.0) -> dict[str, float]:
    """Commands intake stored (from `since`, a time.time()): command id -> received_at."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT command_id, received_at FROM commands"))
            found = {c: at.timestamp() for c, at in rows}
    finally:
        await engine.dispose()
    return {c: at for c, at in found.items() if at >= since}


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(base_url: str) -> Samples:
    """A service's /metrics as {(sample name, labels): value}."""
    async with httpx.AsyncClient() as client:
        page = (await client.get(f"{base_url}/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


def sample_sum(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def wait_outbox_empty(database_url: str, timeout_s: float) -> float:
    """Until intake has published every accepted command; returns the seconds waited."""
    started = time.monotonic()
    while await outbox_rows(database_url) and time.monotonic() - started < timeout_s:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    return time.monotonic() - started


# --- the machine -----------------------------------------------------------------------------


def kafka_version() -> str:
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    return found.group(1) if found else "unknown"


async def postgres_version(admin_url: str) -> str:
    engine = create_async_engine(admin_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            version: str = (await connection.execute(text("SHOW server_version"))).scalar_one()
            return version
    finally:
        await engine.dispose()


def _meminfo_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return 0.0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _git_commit() -> str:
    """The commit measured, `+N changed` when the working tree differs from it in N files
    outside bench/ (the services run from the working tree, uncommitted changes included)."""
    changed = [
        line
        for line in _git("status", "--porcelain", "--untracked-files=no").splitlines()
        if not line[3:].startswith(("bench/", "scripts/bench.sh", "docs/performance.md"))
    ]
    commit = _git("rev-parse", "--short", "HEAD")
    return f"{commit} +{len(changed)} changed" if changed else commit


async def machine(admin_url: str) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": _meminfo_gib(),
        "python": platform.python_version(),
        "kafka": kafka_version(),
        "postgresql": await postgres_version(admin_url),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": _git_commit(),
    }
