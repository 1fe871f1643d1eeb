"""kill -9 the router at random moments while 2,000 requests flow: afterwards every accepted
request has exactly one routing outcome on `sosa.outcomes.v1` (read_committed) and in the
databases (docs/guarantees.md, G4: effectively once).

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
from collections import Counter
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
"""A kill at a random moment: this long after the router was ready again, drawn at random."""
AIMED = 0.5
"""The share of kills aimed at a router in the middle of its batches: they wait (up to
AIM_FOR_S) until the victim's batch count moves, then strike within AIM_JITTER_S."""
AIM_FOR_S = 20.0
AIM_JITTER_S = (0.0, 0.5)
ROUTERS = ("router", "router-2")


async def counters(client: httpx.AsyncClient, stack: Stack, name: str) -> dict[str, float]:
    """From the router's /metrics: batches processed, and inputs by what became of them
    (decided, republished, duplicate); empty when it does not answer."""
    try:
        text = (await client.get(f"{stack.url(name)}/metrics", timeout=2)).text
    except httpx.HTTPError:
        return {}
    found = {"batches": 0.0}
    for line in text.splitlines():
        if line.startswith('sosa_batch_seconds_count{service="router"}'):
            found["batches"] = float(line.split()[-1])
        elif line.startswith("sosa_messages_total{") and (
            result := re.search(r'result="(\w+)"', line)
        ):
            found[result.group(1)] = found.get(result.group(1), 0.0) + float(line.split()[-1])
    return found


async def busy(client: httpx.AsyncClient, stack: Stack, name: str) -> bool:
    """Whether the router finished a batch in the last 0.3 s (so it is likely in the next)."""
    before = (await counters(client, stack, name)).get("batches", -1)
    await asyncio.sleep(0.3)
    return (await counters(client, stack, name)).get("batches", -1) > before


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
        kills: list[tuple[float, str, bool, bool]] = []  # at, victim, aimed, busy
        results: Counter[str] = Counter()  # what became of the inputs, over every router's life
        while (len(kills) < MIN_KILLS or not stream.done()) and len(kills) < MAX_KILLS:
            victim = rng.choice(ROUTERS)
            aimed = rng.random() < AIMED
            loop = asyncio.get_running_loop()
            until = loop.time() + (AIM_FOR_S if aimed else rng.uniform(*PAUSE_S))
            was_busy = False
            while loop.time() < until and not was_busy:
                await outcomes.poll()  # keep reading meanwhile (0.2 s a poll at most)
                was_busy = aimed and await busy(client, stack, victim)
            if aimed:
                await asyncio.sleep(rng.uniform(*AIM_JITTER_S))
            else:
                was_busy = await busy(client, stack, victim)
            results.update(await counters(client, stack, victim))  # its life's last count
            stack.stop(victim, signal.SIGKILL)
            kills.append((round(time.monotonic() - started, 1), victim, aimed, was_busy))
            await restart(stack, victim)
        submissions = await stream
        accepted = [s for s in submissions if s.accepted]
        waited = await outcomes.wait_for([s.command_id for s in accepted], timeout_s=240)
        await outcomes.read_on(5)  # a late duplicate would show up here
        by_cause = await outcomes_by_cause(kafka_bootstrap, topic(stack, "sosa.outcomes.v1"))
        db = await routing_in_databases(databases, {s.command_id: s.request_id for s in accepted})
        running = alive(stack)
        for name in ROUTERS:
            results.update(await counters(client, stack, name))

    figures = routing_figures(
        f"router kill -9 x{len(kills)} (2 routers), {REQUESTS} requests",
        submissions,
        by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        kills=len(kills),
        kills_aimed_at_a_router_in_its_batches=sum(1 for k in kills if k[2]),
        kills_at_random_moments=sum(1 for k in kills if not k[2]),
        kills_that_hit_a_router_busy_with_batches=sum(1 for k in kills if k[3]),
        kill_times_s=[k[0] for k in kills],
        router_metrics_summed_over_every_life=dict(sorted(results.items())),
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
