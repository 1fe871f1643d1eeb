"""kill -9 the router at random moments while 2,000 requests flow: afterwards every accepted
request has exactly one routing outcome on `sosa.outcomes.v1` (read_committed) and in the
databases (DESIGN.md section 7, router: effectively once).

Two router processes share the input partitions, as in production (section 13); each kill hits
one of them at random, which a supervisor restarts at once. A kill lands wherever it lands: in
the middle of a batch's database transaction or Kafka transaction, between the two, during a
rebalance or at start-up. The seed is printed; `SOSA_FAULTS_SEED` replays a run's choices.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import Stack
from tests.faults.support import (
    RoutingOutcomes,
    alive,
    check_databases,
    outcomes_by_cause,
    post_stream,
    restart,
    routing_figures,
    routing_in_databases,
    services,
    status_counts,
    topic,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

REQUESTS = 2000
MIN_KILLS = 10
MAX_KILLS = 30
RATE_PER_S = 20.0
"""2,000 requests over 100 s, so that they flow during the kills."""
PAUSE_S = (2.0, 10.0)
"""Between a router being ready again and the next kill, drawn at random."""
ROUTERS = ("router", "router-2")


async def decided(client: httpx.AsyncClient, stack: Stack, name: str) -> float:
    """The router's count of batches processed so far (its /metrics); -1: no answer."""
    try:
        text = (await client.get(f"{stack.url(name)}/metrics", timeout=2)).text
    except httpx.HTTPError:
        return -1
    found = re.search(r'^sosa_batch_seconds_count\{service="router"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_router_killed_at_random_moments_routes_every_request_exactly_once(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("SOSA_FAULTS_SEED", str(random.SystemRandom().randrange(1 << 32))))
    rng = random.Random(seed)
    started = time.monotonic()
    async with (
        services(
            kafka=kafka_bootstrap, databases=databases, logs=tmp_path, start=["intake", *ROUTERS]
        ) as stack,
        RoutingOutcomes(kafka_bootstrap, topic(stack, "sosa.outcomes.v1")) as outcomes,
        httpx.AsyncClient() as client,
    ):
        stream = asyncio.create_task(
            post_stream(
                f"{stack.url('intake')}/v1/priority-requests", REQUESTS, rate_per_s=RATE_PER_S
            )
        )
        kills: list[tuple[float, str, bool]] = []
        while (len(kills) < MIN_KILLS or not stream.done()) and len(kills) < MAX_KILLS:
            pause = rng.uniform(*PAUSE_S)
            for _ in range(int(pause / 0.2)):
                await outcomes.poll()  # keep reading meanwhile (0.2 s a poll at most)
            victim = rng.choice(ROUTERS)
            before = await decided(client, stack, victim)
            await asyncio.sleep(0.3)
            busy = await decided(client, stack, victim) > before  # batches went by just now
            stack.stop(victim, signal.SIGKILL)
            kills.append((round(time.monotonic() - started, 1), victim, busy))
            await restart(stack, victim)
        submissions = await stream
        accepted = [s for s in submissions if s.accepted]
        waited = await outcomes.wait_for([s.command_id for s in accepted], timeout_s=240)
        await outcomes.read_on(5)  # a late duplicate would show up here
        by_cause = await outcomes_by_cause(kafka_bootstrap, topic(stack, "sosa.outcomes.v1"))
        db = await routing_in_databases(databases, {s.command_id: s.request_id for s in accepted})
        running = alive(stack)

    figures = routing_figures(
        f"router kill -9 x{len(kills)} (2 routers), {REQUESTS} requests",
        submissions,
        by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        kills=len(kills),
        kills_while_processing_batches=sum(1 for _, _, busy in kills if busy),
        kill_times_s=[t for t, _, _ in kills],
        http_statuses=status_counts(submissions),
        processes_alive_at_the_end=running,
        waited_after_the_last_kill_s=round(waited, 1),
        reader_while_running_agrees=outcomes.by_cause == by_cause,
        databases=check_databases(db, submissions, by_cause),
    )
    figures.report()
    assert len(kills) >= MIN_KILLS
    assert all(running.values()), running
    assert figures.accepted == REQUESTS, figures.details["http_statuses"]
    figures.assert_nothing_lost_or_doubled()
    assert set(figures.details["databases"].values()) == {0}, figures.details["databases"]
