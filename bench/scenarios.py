"""The four benchmarks, each on a fresh stack: new PostgreSQL databases, a new topic prefix on the
shared broker, the services started as processes (tests.faults.support.services).

a. intake acceptance: a closed loop of POSTs, as fast as intake answers 202;
b. end to end: a steady stream of POSTs; from each 202 to its routing outcome on the topic;
c. router catch-up: POSTs accepted with the router stopped, then the router started;
d. webhook fan-out: from each routed outcome to its webhook at a receiver that answers 204 at
   once, at a steady rate, then a backlog delivered after the notifier is started.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import (
    REQUESTER,
    Load,
    TimedOutcomes,
    TimedReceiver,
    closed_loop,
    latency_ms,
    per_second,
    wait_outbox_empty,
)
from tests.e2e.notifier_support import api, subscribe
from tests.e2e.stack import Stack
from tests.faults.support import (
    Submission,
    fresh_databases,
    outcomes_by_cause,
    post_stream,
    routing_figures,
    services,
    status_counts,
    topic,
)

OUTCOMES = "sosa.outcomes.v1"
WARMUP_FROM = 900_000
"""Indices of warm-up requests (contract numbers apart from the measured ones)."""
BACKLOG_FROM = 500_000

SERVICE_ENV = {
    # production values where tests.e2e.stack.stack_env sets test ones
    "SOSA_ROUTER_TIMER_INTERVAL_S": "1.0",
    "SOSA_ROUTER_CLOCK_CONTROL": "false",
}


@dataclass(frozen=True)
class Config:
    kafka: str
    postgres_admin_url: str
    logs: Path
    warmup: int = 50
    accept_requests: int = 2000
    accept_concurrency: int = 16
    e2e_rate_per_s: float = 50.0
    e2e_seconds: float = 30.0
    catchup_requests: int = 3000
    fanout_rate_per_s: float = 25.0
    fanout_seconds: float = 20.0
    fanout_backlog: int = 1000

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in {"kafka", "postgres_admin_url"}}


@dataclass
class Result:
    scenario: str
    setup: str
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    """Wall time of the whole scenario, start-up and clean-up included."""


@asynccontextmanager
async def stack_of(cfg: Config, name: str, start: list[str]) -> AsyncIterator[Stack]:
    """Fresh databases and the given services, ready; logs under <logs>/<name>/."""
    logs = cfg.logs / name
    logs.mkdir(parents=True, exist_ok=True)
    async with (
        fresh_databases(cfg.postgres_admin_url) as databases,
        services(
            kafka=cfg.kafka, databases=databases, logs=logs, start=start, **SERVICE_ENV
        ) as stack,
    ):
        yield stack


def posts(stack: Stack) -> str:
    return f"{stack.url('intake')}/v1/priority-requests"


async def warm_up(cfg: Config, stack: Stack, outcomes: TimedOutcomes | None = None) -> Load:
    """A few requests first (connections, caches, the first transactions), not measured."""
    load = await closed_loop(posts(stack), range(WARMUP_FROM, WARMUP_FROM + cfg.warmup), 4)
    if outcomes is not None:
        await outcomes.wait_seen(load.accepted, timeout_s=60)
    return load


def once_each(scenario: str, submissions: list[Submission], by_cause: Any) -> dict[str, Any]:
    """routed / duplicated / lost, counted as the fault suite counts them."""
    f = routing_figures(scenario, submissions, by_cause, seconds=0)
    return {"accepted": f.accepted, "routed": f.routed, "duplicated": f.duplicated, "lost": f.lost}


def as_submissions(load: Load) -> list[Submission]:
    """A closed loop's accepted requests in the fault suite's terms (for its counting)."""
    return [
        Submission(i, "", statuses=[202], body={"command_id": c, "request_id": ""})
        for i, c in enumerate(load.accepted)
    ]


# --- a. intake acceptance --------------------------------------------------------------------


async def intake_acceptance(cfg: Config) -> Result:
    result = Result(
        "a. intake acceptance",
        f"{cfg.accept_requests} POSTs, {cfg.accept_concurrency} concurrent clients (closed loop);"
        " intake + router running",
    )
    started = time.monotonic()
    async with stack_of(cfg, "a-intake-acceptance", ["intake", "router"]) as stack:
        await warm_up(cfg, stack)
        load = await closed_loop(posts(stack), range(cfg.accept_requests), cfg.accept_concurrency)
    result.figures = {
        "accepted": len(load.accepted),
        "statuses": load.statuses,
        "load_seconds": round(load.seconds, 2),
        "accepted_per_s": load.accepted_per_s,
        "latency_202": latency_ms(load.latencies_s),
    }
    result.seconds = time.monotonic() - started
    return result


# --- b. end to end ---------------------------------------------------------------------------


async def end_to_end(cfg: Config) -> Result:
    count = int(cfg.e2e_rate_per_s * cfg.e2e_seconds)
    result = Result(
        "b. end to end",
        f"{count} POSTs at {cfg.e2e_rate_per_s:g}/s ({cfg.e2e_seconds:g} s); intake + router;"
        " from the 202 to the outcome read on sosa.outcomes.v1 (read_committed)",
    )
    started = time.monotonic()
    async with stack_of(cfg, "b-end-to-end", ["intake", "router"]) as stack:
        outcomes_topic = topic(stack, OUTCOMES)
        async with TimedOutcomes(cfg.kafka, outcomes_topic) as outcomes:
            await warm_up(cfg, stack, outcomes)
            submissions = await post_stream(
                posts(stack), count, rate_per_s=cfg.e2e_rate_per_s, concurrency=16
            )
            accepted = [s for s in submissions if s.accepted]
            await outcomes.wait_seen([s.command_id for s in accepted], timeout_s=120)
        by_cause = await outcomes_by_cause(cfg.kafka, outcomes_topic)
    offered_s = max(s.answered_at[-1] for s in submissions) - min(
        s.answered_at[0] for s in submissions
    )
    latencies = [
        outcomes.seen_at[s.command_id] - s.answered_at[-1]
        for s in accepted
        if s.command_id in outcomes.seen_at
    ]
    result.figures = {
        **once_each(result.scenario, submissions, by_cause),
        "statuses": status_counts(submissions),
        "accepted_per_s": per_second(len(accepted), offered_s),
        "latency_202_to_outcome": latency_ms(latencies),
    }
    result.seconds = time.monotonic() - started
    return result


# --- c. router catch-up ----------------------------------------------------------------------


async def router_catch_up(cfg: Config) -> Result:
    result = Result(
        "c. router catch-up",
        f"{cfg.catchup_requests} POSTs accepted (and published) with the router stopped, then the"
        " router started; until every outcome is read",
    )
    started = time.monotonic()
    async with stack_of(cfg, "c-router-catch-up", ["intake"]) as stack:
        outcomes_topic = topic(stack, OUTCOMES)
        load = await closed_loop(posts(stack), range(cfg.catchup_requests), cfg.accept_concurrency)
        publish_s = await wait_outbox_empty(stack.env["SOSA_INTAKE_DATABASE_URL"], 120)
        async with TimedOutcomes(cfg.kafka, outcomes_topic) as outcomes:
            spawned = time.monotonic()
            stack.start("router")
            await stack.wait_ready("router", timeout_s=90)
            ready = time.monotonic()
            await outcomes.wait_seen(load.accepted, timeout_s=300)
        by_cause = await outcomes_by_cause(cfg.kafka, outcomes_topic)
    first, last, routed = outcomes.first_and_last(load.accepted)
    result.figures = {
        **once_each(result.scenario, as_submissions(load), by_cause),
        "accepted_per_s_without_router": load.accepted_per_s,
        "outbox_drained_after_load_s": round(publish_s, 2),
        "router_start_to_ready_s": round(ready - spawned, 2),
        "router_start_to_first_outcome_s": round(first - spawned, 2) if routed else None,
        "router_start_to_last_outcome_s": round(last - spawned, 2) if routed else None,
        "outcomes_per_s_first_to_last": per_second(routed - 1, last - first),
        "outcomes_per_s_from_start": per_second(routed, last - spawned),
    }
    result.seconds = time.monotonic() - started
    return result


# --- d. webhook fan-out ----------------------------------------------------------------------


async def webhook_fan_out(cfg: Config) -> Result:
    count = int(cfg.fanout_rate_per_s * cfg.fanout_seconds)
    result = Result(
        "d. webhook fan-out",
        f"one endpoint answering 204 at once; {count} POSTs at {cfg.fanout_rate_per_s:g}/s, then "
        f"a backlog of {cfg.fanout_backlog} routed with the notifier stopped, then started",
    )
    started = time.monotonic()
    async with (
        TimedReceiver() as receiver,
        stack_of(cfg, "d-webhook-fan-out", ["intake", "router", "notifier"]) as stack,
    ):
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        async with TimedOutcomes(cfg.kafka, topic(stack, OUTCOMES)) as outcomes:
            warm = await warm_up(cfg, stack, outcomes)
            await receiver.wait_for(events(outcomes, warm.accepted), timeout_s=60)
            steady = await steady_deliveries(cfg, stack, outcomes, receiver, count)
            backlog = await backlog_deliveries(cfg, stack, outcomes, receiver)
    result.figures = {
        **steady,
        **backlog,
        "webhooks_received_twice": sum(1 for n in _hits_per_id(receiver).values() if n > 1),
        "signatures_failed": sum(1 for hit in receiver.hits if not hit.verified),
    }
    result.seconds = time.monotonic() - started
    return result


def events(outcomes: TimedOutcomes, command_ids: Any) -> list[str]:
    """The routing events (= webhook ids) of these commands, as far as they were read."""
    return [outcomes.event_of[c] for c in command_ids if c in outcomes.event_of]


def _hits_per_id(receiver: TimedReceiver) -> dict[str, int]:
    counted: dict[str, int] = {}
    for hit in receiver.hits:
        counted[hit.webhook_id] = counted.get(hit.webhook_id, 0) + 1
    return counted


async def steady_deliveries(
    cfg: Config, stack: Stack, outcomes: TimedOutcomes, receiver: TimedReceiver, count: int
) -> dict[str, Any]:
    submissions = await post_stream(
        posts(stack), count, rate_per_s=cfg.fanout_rate_per_s, concurrency=16
    )
    commands = [s.command_id for s in submissions if s.accepted]
    await outcomes.wait_seen(commands, timeout_s=120)
    expected = events(outcomes, commands)
    await receiver.wait_for(expected, timeout_s=120)
    latencies = [
        receiver.received_at[e] - outcomes.event_seen_at[e]
        for e in expected
        if e in receiver.received_at
    ]
    return {
        "steady_accepted": len(commands),
        "steady_routed": len(expected),
        "steady_webhooks_received": len(latencies),
        "steady_webhooks_missing": len(expected) - len(latencies),
        "latency_outcome_to_webhook": latency_ms(latencies),
    }


async def backlog_deliveries(
    cfg: Config, stack: Stack, outcomes: TimedOutcomes, receiver: TimedReceiver
) -> dict[str, Any]:
    stack.stop("notifier")
    load = await closed_loop(
        posts(stack),
        range(BACKLOG_FROM, BACKLOG_FROM + cfg.fanout_backlog),
        cfg.accept_concurrency,
    )
    await outcomes.wait_seen(load.accepted, timeout_s=180)
    expected = events(outcomes, load.accepted)
    spawned = time.monotonic()
    stack.start("notifier")
    await stack.wait_ready("notifier", timeout_s=90)
    ready = time.monotonic()
    await receiver.wait_for(expected, timeout_s=300)
    times = sorted(receiver.received_at[e] for e in expected if e in receiver.received_at)
    return {
        "backlog_routed": len(expected),
        "backlog_webhooks_received": len(times),
        "backlog_webhooks_missing": len(expected) - len(times),
        "notifier_start_to_ready_s": round(ready - spawned, 2),
        "notifier_start_to_first_webhook_s": round(times[0] - spawned, 2) if times else None,
        "notifier_start_to_last_webhook_s": round(times[-1] - spawned, 2) if times else None,
        "deliveries_per_s_first_to_last": per_second(len(times) - 1, times[-1] - times[0])
        if times
        else 0.0,
        "deliveries_per_s_from_start": per_second(len(times), times[-1] - spawned)
        if times
        else 0.0,
    }


SCENARIOS = {
    "a": intake_acceptance,
    "b": end_to_end,
    "c": router_catch_up,
    "d": webhook_fan_out,
}
