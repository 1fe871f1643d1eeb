"""What the fault scenarios share: the services as processes on the fault infrastructure, a
paced stream of POSTs, the routing outcomes read back from the topic and the databases, and the
figures every scenario prints and asserts.

Counting rules, the same in every scenario:

- sent: requests the client tried to submit (each once; a retry with the same Idempotency-Key
  is the same request);
- accepted: those answered `202` (their command id is known);
- routed: accepted requests whose submit command has a routing outcome, an outcome event caused
  by that command, on `sosa.outcomes.v1` read with `read_committed`;
- duplicated: accepted requests with more than one such outcome record on the topic (even the
  same event twice counts: readers must never see a decision twice);
- lost: accepted requests with none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sosa.ops.reading import read_to_end
from tests.e2e.credentials import ActingParty
from tests.e2e.stack import (
    SERVICES,
    Stack,
    free_port,
    running,
    stack_env,
    unique_prefix,
)
from tests.e2e.stack import fresh_databases as databases_named
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.faults.infra import ROOT
from tests.kafka_principals import as_super_user, super_user_settings

FIGURES_LOG = ROOT / "var" / "faults" / "figures.jsonl"


# --- databases and services ------------------------------------------------------------------


def fresh_databases(admin_url: str) -> contextlib.AbstractAsyncContextManager[dict[str, str]]:
    """One new database per service on the fault PostgreSQL, dropped afterwards."""
    return databases_named(admin_url, name_prefix="faults")


@asynccontextmanager
async def services(
    *,
    kafka: str,
    databases: dict[str, str],
    logs: Path,
    start: Iterable[str],
    **env: str,
) -> AsyncIterator[Stack]:
    """The given processes (`router-2` is a second router), ready; all stopped afterwards."""
    ports = {service: free_port() for service in SERVICES}
    stack_environment = stack_env(
        kafka=kafka, databases=databases, ports=ports, prefix=unique_prefix()
    )
    stack_environment.update(env)
    with running(Stack(env=stack_environment, ports=ports, logs=logs)) as stack:
        names = list(start)
        for name in names:
            stack.start(service_of(name), name=name)
        for name in names:
            await stack.wait_ready(name, timeout_s=90)
        yield stack


def service_of(name: str) -> str:
    """`router-2` is a router; `intake` is intake."""
    return name.split("-")[0]


async def restart(stack: Stack, name: str) -> None:
    """Start process `name` again (after a kill) and wait until it is ready."""
    stack.start(service_of(name), name=name)
    await stack.wait_ready(name, timeout_s=90)


def alive(stack: Stack) -> dict[str, bool]:
    """Whether each process still runs (a service whose worker died has exited)."""
    return {name: process.poll() is None for name, process in stack.processes.items()}


def topic(stack: Stack, name: str) -> str:
    return f"{stack.env['SOSA_TOPIC_PREFIX']}{name}"


# --- the stream of POSTs ---------------------------------------------------------------------


def request_body(index: int) -> dict[str, Any]:
    """A DPAS-rated request, routed at once (no authority to wait for), unique per index."""
    return {**DPAS_REQUEST, "contract_number": f"N00024-26-C-{index:06d}"}


@dataclass
class Submission:
    """One request the client submitted, with every answer it got (retries included)."""

    index: int
    key: str
    statuses: list[int | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None
    replayed: bool = False
    """Some answer was a replay of the first (`Idempotent-Replayed`): an earlier attempt had
    been stored though its client never heard so."""
    answered_at: list[float] = field(default_factory=list)
    """time.monotonic() of each answer."""

    @property
    def accepted(self) -> bool:
        return 202 in self.statuses

    @property
    def command_id(self) -> str:
        assert self.body is not None
        return str(self.body["command_id"])

    @property
    def request_id(self) -> str:
        assert self.body is not None
        return str(self.body["request_id"])


RETRIED = frozenset({503, None})
"""What a client retries with the same Idempotency-Key: 503, or no answer at all."""


async def post_stream(
    url: str | Sequence[str],
    count: int,
    *,
    rate_per_s: float,
    concurrency: int = 8,
    retry_for_s: float = 0.0,
) -> list[Submission]:
    """POST `count` requests at about `rate_per_s`, each with its own Idempotency-Key; given
    several URLs (instances of intake), request i goes to URL i modulo their number.

    With `retry_for_s`, a request answered 503 (or not at all) is sent again with the same key
    and body (after 0.25 s, 0.5 s, 1 s, then every 2 s) until it is answered otherwise or that
    much time has passed.
    """
    urls = [url] if isinstance(url, str) else list(url)
    submissions = [Submission(i, str(uuid.uuid4())) for i in range(count)]
    gate = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(client: httpx.AsyncClient, sub: Submission) -> None:
        await asyncio.sleep(max(0.0, start + sub.index / rate_per_s - loop.time()))
        give_up = loop.time() + retry_for_s
        while True:
            async with gate:  # per attempt: a request waiting to retry holds no slot
                status, body, error, replayed = await _post(
                    client, urls[sub.index % len(urls)], sub
                )
            sub.statuses.append(status)
            sub.answered_at.append(time.monotonic())
            if error:
                sub.errors.append(error)
            if status == 202:
                sub.body = body
                sub.replayed = replayed
            if status not in RETRIED or loop.time() >= give_up:
                return
            await asyncio.sleep(min(2.0, 0.25 * 2 ** (len(sub.statuses) - 1)))

    async with httpx.AsyncClient(timeout=30, auth=ActingParty()) as client:
        await asyncio.gather(*(one(client, sub) for sub in submissions))
    return submissions


async def _post(
    client: httpx.AsyncClient, url: str, sub: Submission
) -> tuple[int | None, dict[str, Any] | None, str | None, bool]:
    try:
        response = await client.post(
            url, json=request_body(sub.index), headers={"Idempotency-Key": sub.key}
        )
    except httpx.HTTPError as exc:
        return None, None, f"{type(exc).__name__}: {exc}", False
    body = response.json() if response.content else None
    error = None if response.status_code < 500 else response.text
    return response.status_code, body, error, "idempotent-replayed" in response.headers


def status_counts(submissions: Iterable[Submission]) -> dict[str, int]:
    """How many answers of each status the stream got (`none`: no answer), retries included."""
    counted = Counter(
        str(s) if s is not None else "none" for sub in submissions for s in sub.statuses
    )
    return dict(sorted(counted.items()))


# --- routing outcomes on the topic -----------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    event_id: str
    request_id: str
    partition: int
    offset: int


class RoutingOutcomes:
    """Outcome events on `<prefix>sosa.outcomes.v1` (read_committed), by the command that caused
    them, read from the start while the scenario runs."""

    def __init__(self, bootstrap: str, outcomes_topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = outcomes_topic
        self._consumer: AIOKafkaConsumer | None = None  # made on entry: `add` alone needs none
        self.by_cause: dict[str, list[Seen]] = {}

    async def __aenter__(self) -> RoutingOutcomes:
        self._consumer = AIOKafkaConsumer(
            self._topic,
            **as_super_user(self._bootstrap),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            metadata_max_age_ms=5000,
        )
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._consumer is not None
        await self._consumer.stop()

    async def poll(self) -> None:
        assert self._consumer is not None, "poll inside `async with`"
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                self.add(record)

    def add(self, record: Any) -> None:
        event = json.loads(record.value)
        self.by_cause.setdefault(event["caused_by"], []).append(
            Seen(event["event_id"], event["request_id"], record.partition, record.offset)
        )

    async def wait_for(self, command_ids: Iterable[str], timeout_s: float) -> float:
        """Read until every command has an outcome or `timeout_s` passes; returns the seconds
        it took (the caller counts what is missing)."""
        wanted = set(command_ids)
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < timeout_s:
            if wanted <= self.by_cause.keys():
                break
            await self.poll()
        return loop.time() - started

    async def read_on(self, seconds: float) -> None:
        """Keep reading a while, so that a late duplicate would be seen."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while loop.time() < until:
            await self.poll()


async def outcomes_by_cause(bootstrap: str, outcomes_topic: str) -> dict[str, list[Seen]]:
    """The whole outcome topic as it stands, read afresh (read_committed) by a new reader."""
    reader = RoutingOutcomes(bootstrap, outcomes_topic)
    for record in await read_to_end(super_user_settings(bootstrap), outcomes_topic, timeout_s=120):
        reader.add(record)
    return reader.by_cause


@dataclass
class Settled:
    """What became of a stream once its fault is over: read when every accepted request has an
    outcome (or the wait gave up), a few seconds later, so that a late duplicate shows too."""

    waited_s: float
    """From the end of the stream until every accepted request had an outcome."""
    by_cause: dict[str, list[Seen]]
    """The whole outcome topic read afresh, by the command that caused each outcome."""
    db: dict[str, Any]
    """routing_in_databases() of the accepted requests."""
    running: dict[str, bool]
    """alive() of each process."""


async def settle(
    bootstrap: str, stack: Stack, databases: Mapping[str, str], submissions: list[Submission]
) -> Settled:
    """Wait (up to 180 s) until every accepted request is routed, read on 5 s more, then read the
    outcome topic afresh and the databases, and see which processes still run."""
    accepted = [s for s in submissions if s.accepted]
    outcomes_topic = topic(stack, "sosa.outcomes.v1")
    async with RoutingOutcomes(bootstrap, outcomes_topic) as outcomes:
        waited = await outcomes.wait_for([s.command_id for s in accepted], timeout_s=180)
        await outcomes.read_on(5)
    return Settled(
        waited_s=waited,
        by_cause=await outcomes_by_cause(bootstrap, outcomes_topic),
        db=await routing_in_databases(databases, {s.command_id: s.request_id for s in accepted}),
        running=alive(stack),
    )


# --- the databases ---------------------------------------------------------------------------


async def routing_in_databases(
    databases: Mapping[str, str], accepted: Mapping[str, str]
) -> dict[str, Any]:
    """What the databases say about the accepted requests ({command id: request id}):
    intake's timeline entries caused by each submit, and the router's record of each request."""
    commands = list(accepted)
    intake = create_async_engine(databases["intake"])
    router = create_async_engine(databases["router"])
    try:
        async with intake.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT caused_by, event_id FROM request_timeline"
                        " WHERE caused_by = ANY(:ids)"
                    ),
                    {"ids": commands},
                )
            ).all()
            stored_twice = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM (SELECT details->>'contract_number' AS c"
                        " FROM request_views GROUP BY 1 HAVING count(*) > 1) AS twice"
                    )
                )
            ).scalar_one()
            unrouted_views = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM request_views"
                        " WHERE request_id = ANY(:ids) AND state = 'received'"
                    ),
                    {"ids": list(accepted.values())},
                )
            ).scalar_one()
        async with router.connect() as connection:
            known = (
                await connection.execute(
                    text("SELECT request_id, sequence FROM requests WHERE request_id = ANY(:ids)"),
                    {"ids": list(accepted.values())},
                )
            ).all()
            inbox = (
                await connection.execute(
                    text("SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)"),
                    {"ids": commands},
                )
            ).scalar_one()
    finally:
        await intake.dispose()
        await router.dispose()
    timeline: dict[str, list[str]] = {}
    for caused_by, event_id in rows:
        timeline.setdefault(caused_by, []).append(event_id)
    return {
        "timeline": timeline,
        "unrouted_views": unrouted_views,
        "stored_twice": stored_twice,
        "router_requests": {r.request_id for r in known if r.sequence >= 1},
        "router_inbox": inbox,
    }


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """sent / accepted / routed / duplicated / lost of one scenario, printed and asserted."""

    scenario: str
    sent: int
    accepted: int
    routed: int
    duplicated: int
    lost: int
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def report(self) -> None:
        line = (
            f"sent {self.sent} | accepted {self.accepted} | routed {self.routed} | "
            f"duplicated {self.duplicated} | lost {self.lost} | {self.seconds:.1f} s"
        )
        print(f"\n[faults] {self.scenario}: {line}")  # noqa: T201 - the figures are the output
        for name, value in self.details.items():
            print(f"[faults]   {name}: {value}")  # noqa: T201
        FIGURES_LOG.parent.mkdir(parents=True, exist_ok=True)
        with FIGURES_LOG.open("a") as out:
            record = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **self.__dict__}
            out.write(json.dumps(record, default=str) + "\n")

    def assert_nothing_lost_or_doubled(self) -> None:
        assert self.lost == 0, f"{self.scenario}: {self.lost} accepted requests were lost"
        assert self.duplicated == 0, f"{self.scenario}: {self.duplicated} routed twice or more"


def routing_figures(
    scenario: str,
    submissions: list[Submission],
    by_cause: Mapping[str, list[Seen]],
    *,
    seconds: float,
    **details: Any,
) -> Figures:
    accepted = [s for s in submissions if s.accepted]
    counts = [len(by_cause.get(s.command_id, [])) for s in accepted]
    doubled = {
        s.command_id: [
            (seen.event_id, seen.partition, seen.offset) for seen in by_cause[s.command_id]
        ]
        for s in accepted
        if len(by_cause.get(s.command_id, [])) > 1
    }
    if doubled:  # the same event id twice: published again; two ids: decided twice
        details = {**details, "doubled: (event id, partition, offset) each": doubled}
    return Figures(
        scenario=scenario,
        sent=len(submissions),
        accepted=len(accepted),
        routed=sum(1 for c in counts if c >= 1),
        duplicated=sum(1 for c in counts if c > 1),
        lost=sum(1 for c in counts if c == 0),
        seconds=seconds,
        details=details,
    )


def check_databases(
    db: Mapping[str, Any], submissions: list[Submission], by_cause: Mapping[str, list[Seen]]
) -> dict[str, int]:
    """Each accepted request is routed in the databases too, by the very event on the topic:
    intake's timeline holds exactly that one routing event, the router knows the request and its
    inbox remembers the submit once. Returns the mismatches counted (all must be 0)."""
    accepted = [s for s in submissions if s.accepted]
    timeline = db["timeline"]
    return {
        "timeline entries missing": sum(1 for s in accepted if s.command_id not in timeline),
        "timeline entries doubled": sum(
            1 for s in accepted if len(timeline.get(s.command_id, [])) > 1
        ),
        "timeline event differs from the topic's": sum(
            1
            for s in accepted
            if timeline.get(s.command_id)
            and {seen.event_id for seen in by_cause.get(s.command_id, [])}
            != set(timeline[s.command_id])
        ),
        "views still 'received'": int(db["unrouted_views"]),
        "requests stored twice (one contract number, two views)": int(db["stored_twice"]),
        "requests unknown to the router": sum(
            1 for s in accepted if s.request_id not in db["router_requests"]
        ),
        "submits missing from the router's inbox": len(accepted) - int(db["router_inbox"]),
    }


# --- a webhook receiver ----------------------------------------------------------------------


@dataclass
class Hit:
    webhook_id: str
    request_id: str
    event_type: str
    verified: bool


class Receiver:
    """A webhook receiver on loopback that answers 204 after `delay_s`, verifies each signature
    and knows how many requests it is in the middle of (so a kill can be seen to land mid-send)."""

    def __init__(self, delay_s: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.delay_s = delay_s
        self.secret: str | None = None
        self.hits: list[Hit] = []
        self.in_flight = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Receiver:
        self._server = uvicorn.Server(
            uvicorn.Config(
                Starlette(routes=[Route("/hook", self._hook, methods=["POST"])]),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
            )
        )
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        assert self._task is not None
        self._server.should_exit = True
        await self._task

    async def wait_for(self, webhook_ids: Iterable[str], timeout_s: float) -> None:
        """Until every one of `webhook_ids` has been received, or `timeout_s` has passed (the
        caller counts what is missing)."""
        wanted = set(webhook_ids)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while not wanted <= {hit.webhook_id for hit in self.hits}:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)

    async def _hook(self, request: Request) -> Response:
        self.in_flight += 1
        try:
            body = await request.body()
            headers = dict(request.headers)
            try:
                Webhook(self.secret or "").verify(body, headers)
                verified = True
            except Exception:
                verified = False
            message = json.loads(body)
            await asyncio.sleep(self.delay_s)
            self.hits.append(
                Hit(
                    headers["webhook-id"],
                    message["data"]["request_id"],
                    message["type"],
                    verified,
                )
            )
            return Response(status_code=204)
        finally:
            self.in_flight -= 1
