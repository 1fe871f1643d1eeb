"""The four benchmarks, each on a fresh stack (new PostgreSQL databases, a new topic prefix on the
shared broker, the services started as processes: tests.faults.support.services), and each
service beside its anchor in the same run (bench.anchors):

a. intake acceptance: wrk in a closed loop of POSTs, intake + router running; anchor a, the
   bare FastAPI endpoint, under the same load;
b. end to end: wrk paced to a steady 300 POSTs/s; from each command's receipt to its routing
   outcome read on the topic;
c. router catch-up: POSTs accepted with the router stopped, then the router started; anchor b,
   the raw consume -> transactional produce passthrough, on the same topic afterwards;
d. webhook fan-out: webhooks at a steady rate, then a backlog delivered after the notifier is
   started; anchor c, the raw httpx poster, posts the same bodies to the same receiver;
e. the read side at scale (bench.readside): 10k, 100k and 1M requests seeded into intake's
   tables, every dashboard, analytics, list, timeline and work-order call timed at each size.

Each scenario reads the CPU time and peak memory of every process from /proc (bench.procstats).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import readside, targets
from bench.anchors.processes import bare_endpoint, durable_accept, run_to_end
from bench.measure import (
    REQUESTER,
    Samples,
    TimedOutcomes,
    TimedReceiver,
    closed_loop,
    commands_received,
    latency_ms,
    per_second,
    sample_sum,
    scrape,
    wait_outbox_empty,
)
from bench.pgstatements import StatementMeter
from bench.procstats import MachineMeter, Meter
from bench.targets import Target
from bench.wrk import WrkRun, post_load
from sosa.contracts import topics
from sosa.notifier.settings import NotifierSettings
from tests.e2e.credentials import token
from tests.e2e.notifier_support import api, subscribe
from tests.e2e.stack import Stack, unique_prefix
from tests.faults.support import (
    Submission,
    fresh_databases,
    outcomes_by_cause,
    routing_figures,
    services,
    topic,
)
from tests.kafka_principals import as_super_user

WARMUP_FROM = 900_000
"""Indices of warm-up requests (contract numbers apart from the measured ones)."""

SERVICE_ENV = {
    # production values where tests.e2e.stack.stack_env sets test ones
    "SOSA_ROUTER_TIMER_INTERVAL_S": "1.0",
    "SOSA_ROUTER_CLOCK_CONTROL": "false",
}
ENDPOINT_CONCURRENCY = NotifierSettings.model_fields["endpoint_concurrency"].default
"""The notifier's attempts in flight per endpoint (its default): anchor c posts with as many."""


@dataclass(frozen=True)
class Config:
    kafka: str
    postgres_admin_url: str
    logs: Path
    warmup: int = 50
    accept_seconds: float = 20.0
    accept_connections: int = 16
    e2e_rate_per_s: float = 300.0
    e2e_seconds: float = 20.0
    e2e_connections: int = 32
    catchup_seconds: float = 40.0
    fanout_rate_per_s: float = 25.0
    fanout_seconds: float = 15.0
    fanout_backlog_seconds: float = 20.0
    readside_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    readside_repeats: int = 5
    readside_submit_seconds: float = 10.0

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in {"kafka", "postgres_admin_url"}}


@dataclass
class Result:
    scenario: str
    setup: str
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0
    """Wall time of the whole scenario, start-up and clean-up included."""

    def record(self) -> dict[str, Any]:
        return {**asdict(self), "targets": [t.record() for t in self.targets]}


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


def intake_db(stack: Stack) -> str:
    return stack.env["SOSA_INTAKE_DATABASE_URL"]


def pids(stack: Stack, *names: str) -> dict[str, int]:
    return {n: p.pid for n, p in stack.processes.items() if not names or n in names}


def statements(cfg: Config, stack: Stack, *names: str) -> StatementMeter:
    """A meter of the statements the named services (all, by default) run in PostgreSQL."""
    return StatementMeter(
        cfg.postgres_admin_url,
        {n: stack.env[f"SOSA_{n.upper()}_DATABASE_URL"] for n in names or stack.processes},
    )


def requester_token() -> str:
    """One bearer token for the whole load, as a real client reuses its token."""
    return token(REQUESTER, "requester")


async def load(url: str, seconds: float, connections: int, rate_per_s: float = 0.0) -> WrkRun:
    """wrk: a closed loop of `connections`, or, with `rate_per_s`, about that many POSTs per
    second (each connection pausing between requests; the rate reached is reported)."""
    pause_ms = max(connections * 1000 / rate_per_s - 5, 1) if rate_per_s else 0.0
    return await post_load(
        url,
        requester_token(),
        seconds=seconds,
        connections=connections,
        mean_delay_ms=pause_ms,
    )


async def warm_up(cfg: Config, stack: Stack, outcomes: TimedOutcomes | None = None) -> None:
    """A few requests first (connections, caches, the first transactions), not measured."""
    warm = await closed_loop(posts(stack), range(WARMUP_FROM, WARMUP_FROM + cfg.warmup), 4)
    if outcomes is not None:
        await outcomes.wait_seen(warm.accepted, timeout_s=60)


def once_each(scenario: str, command_ids: Iterable[str], by_cause: Any) -> dict[str, Any]:
    """routed / duplicated / lost, counted as the fault suite counts them."""
    submissions = [
        Submission(i, "", statuses=[202], body={"command_id": c, "request_id": ""})
        for i, c in enumerate(command_ids)
    ]
    f = routing_figures(scenario, submissions, by_cause, seconds=0)
    return {"accepted": f.accepted, "routed": f.routed, "duplicated": f.duplicated, "lost": f.lost}


def mean_batch(samples: Samples, service: str, stage: str) -> float:
    count = sample_sum(samples, "sosa_batch_size_count", service=service, stage=stage)
    total = sample_sum(samples, "sosa_batch_size_sum", service=service, stage=stage)
    return round(total / count, 1) if count else 0.0


# --- a. intake acceptance --------------------------------------------------------------------


async def intake_acceptance(cfg: Config) -> Result:
    result = Result(
        "a. intake acceptance",
        f"wrk, {cfg.accept_connections} connections in a closed loop for {cfg.accept_seconds:g} s"
        "; intake + router running; anchor a (bare FastAPI endpoint) and anchor a2 (the minimal "
        "durable accept: asyncpg insert + aiokafka acks=all produce) under the same load first",
    )
    started = time.monotonic()
    logs = cfg.logs / "a-intake-acceptance"
    async with bare_endpoint(logs) as (url, pid):
        anchor = await anchor_load(url, pid, "bare endpoint", cfg)
    async with fresh_databases(cfg.postgres_admin_url) as databases:
        a2_topic = f"{unique_prefix()}anchor-a2"
        await create_topic(cfg.kafka, a2_topic, 3)
        async with durable_accept(
            logs, database_url=databases["intake"], bootstrap=cfg.kafka, topic=a2_topic
        ) as (url, pid):
            anchor_a2 = await anchor_load(url, pid, "durable accept", cfg)
    async with stack_of(cfg, "a-intake-acceptance", ["intake", "router"]) as stack:
        await warm_up(cfg, stack)
        statements_run = await statements(cfg, stack).start()
        meter = Meter(pids(stack)).start()
        run = await load(posts(stack), cfg.accept_seconds, cfg.accept_connections)
        meter.stop()
        await statements_run.stop()
        samples = await scrape(stack.url("intake"))
    result.figures = {
        **run.figures(),
        **meter.figures(run.accepted, "request"),
        **statements_run.figures(run.accepted, "request"),
        "intake_mean_group_commit": mean_batch(samples, "intake", "group_commit"),
        "anchor_a": anchor,
        "anchor_a2": anchor_a2,
    }
    result.targets = targets.intake_acceptance(result.figures)
    result.seconds = time.monotonic() - started
    return result


async def anchor_load(url: str, pid: int, name: str, cfg: Config) -> dict[str, Any]:
    """An anchor of a under the scenario's load (after 2 s of warm-up): its figures."""
    await load(url, 2, cfg.accept_connections)
    meter = Meter({name: pid}).start()
    run = await load(url, cfg.accept_seconds, cfg.accept_connections)
    meter.stop()
    return {**run.figures(), **meter.figures(run.accepted, "request")}


# --- b. end to end ---------------------------------------------------------------------------


async def end_to_end(cfg: Config) -> Result:
    result = Result(
        "b. end to end",
        f"wrk, {cfg.e2e_connections} connections paced to {cfg.e2e_rate_per_s:g} POSTs/s for "
        f"{cfg.e2e_seconds:g} s; intake + router + notifier, one webhook endpoint of the "
        "requester answering 204 at once; from each command's received_at (intake's database) "
        "to its outcome read on sosa.outcomes.v1 (read_committed) and to its webhook received",
    )
    started = time.monotonic()
    async with (
        TimedReceiver() as receiver,
        stack_of(cfg, "b-end-to-end", ["intake", "router", "notifier"]) as stack,
    ):
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        outcomes_topic = topic(stack, topics.OUTCOMES)
        async with TimedOutcomes(cfg.kafka, outcomes_topic) as outcomes:
            await warm_up(cfg, stack, outcomes)
            await receiver.wait_for(events(outcomes, outcomes.seen_at), timeout_s=60)
            since = time.time()
            statements_run = await statements(cfg, stack).start()
            meter = Meter(pids(stack)).start()
            machine = MachineMeter().start()
            run = await load(posts(stack), cfg.e2e_seconds, cfg.e2e_connections, cfg.e2e_rate_per_s)
            received = await commands_received(intake_db(stack), since)
            await outcomes.wait_seen(received, timeout_s=120)
            await receiver.wait_for(events(outcomes, received), timeout_s=120)
            meter.stop()
            machine.stop()
            await statements_run.stop()
            samples = await scrape(stack.url("router"))
        by_cause = await outcomes_by_cause(cfg.kafka, outcomes_topic)
    latencies = [
        outcomes.seen_wall[c] - at for c, at in received.items() if c in outcomes.seen_wall
    ]
    webhooks = post_to_webhook(received, outcomes, receiver)
    result.figures = {
        **once_each(result.scenario, received, by_cause),
        "statuses": run.statuses,
        "accepted_per_s": run.accepted_per_s,
        "latency_post_to_202": {"count": run.requests, **run.latency_ms},
        "latency_received_to_outcome": latency_ms(latencies),
        "webhooks_received": webhooks["count"],
        "webhooks_missing": len(events(outcomes, received)) - webhooks["count"],
        "latency_post_to_webhook": webhooks,
        "router_mean_batch": mean_batch(samples, "router", "applied_together"),
        **meter.figures(len(received), "request"),
        **machine.figures(meter, len(received), cfg.e2e_rate_per_s),
        **statements_run.figures(len(received), "request"),
    }
    result.targets = targets.end_to_end(result.figures, cfg.e2e_rate_per_s)
    result.seconds = time.monotonic() - started
    return result


def post_to_webhook(
    received: dict[str, float], outcomes: TimedOutcomes, receiver: TimedReceiver
) -> dict[str, float | int]:
    """From each command's received_at (intake took the POST) to the first webhook of its
    routing outcome at the receiver, both wall-clock times on this machine."""
    first_webhook = receiver.received_wall
    return latency_ms(
        first_webhook[outcomes.event_of[command]] - at
        for command, at in received.items()
        if outcomes.event_of.get(command, "") in first_webhook
    )


# --- c. router catch-up ----------------------------------------------------------------------


async def router_catch_up(cfg: Config) -> Result:
    result = Result(
        "c. router catch-up",
        f"wrk for {cfg.catchup_seconds:g} s with the router stopped (every command published), "
        "then the router started, until every outcome is read; then anchor b (raw aiokafka "
        "passthrough) on the same topic, as many outputs per record as the router published",
    )
    started = time.monotonic()
    async with stack_of(cfg, "c-router-catch-up", ["intake"]) as stack:
        outcomes_topic = topic(stack, topics.OUTCOMES)
        fill = await load(posts(stack), cfg.catchup_seconds, cfg.accept_connections)
        received = await commands_received(intake_db(stack))
        publish_s = await wait_outbox_empty(intake_db(stack), 120)
        async with TimedOutcomes(cfg.kafka, outcomes_topic) as outcomes:
            spawned = time.monotonic()
            stack.start("router")
            await stack.wait_ready("router", timeout_s=90)
            ready = time.monotonic()
            statements_run = await statements(cfg, stack, "router").start()
            meter = Meter(pids(stack, "router")).start()
            await outcomes.wait_seen(received, timeout_s=300)
            meter.stop()
            await statements_run.stop()
            samples = await scrape(stack.url("router"))
        by_cause = await outcomes_by_cause(cfg.kafka, outcomes_topic)
        first, last, routed = outcomes.first_and_last(received)
        published = sample_sum(samples, "sosa_published_total", service="router")
        outputs = max(1, round(published / max(routed, 1)))
        prefix = stack.env["SOSA_TOPIC_PREFIX"]
        sink = f"{prefix}bench.passthrough"
        await create_topic(cfg.kafka, sink, int(stack.env.get("SOSA_TOPIC_PARTITIONS", "3")))
        anchor = await run_to_end(
            "passthrough",
            f"--bootstrap={cfg.kafka}",
            f"--source={topic(stack, topics.REQUESTS)}",
            f"--sink={sink}",
            f"--group={prefix}bench-passthrough",
            f"--count={len(received)}",
            f"--outputs={outputs}",
        )
    router_rate = per_second(routed - 1, last - first)
    anchor_rate = per_second(anchor["records"], anchor["seconds"])
    result.figures = {
        **once_each(result.scenario, received, by_cause),
        "accepted_per_s_without_router": fill.accepted_per_s,
        "outbox_drained_after_load_s": round(publish_s, 2),
        "router_start_to_ready_s": round(ready - spawned, 2),
        "router_start_to_first_outcome_s": round(first - spawned, 2) if routed else None,
        "router_start_to_last_outcome_s": round(last - spawned, 2) if routed else None,
        "outcomes_per_s_first_to_last": router_rate,
        "outcomes_per_s_from_start": per_second(routed, last - spawned),
        "router_mean_batch": mean_batch(samples, "router", "applied_together"),
        "records_published_per_command": round(published / max(routed, 1), 2),
        **meter.figures(routed, "record"),
        **statements_run.figures(routed, "record"),
        "anchor_b": {
            **anchor,
            "records_per_s": anchor_rate,
            "cpu_ms_per_record": round(anchor["cpu_s"] * 1000 / max(anchor["records"], 1), 3),
            "outputs_per_record": outputs,
        },
    }
    result.targets = targets.router_catch_up(result.figures)
    result.seconds = time.monotonic() - started
    return result


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(**as_super_user(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


# --- d. webhook fan-out ----------------------------------------------------------------------


async def webhook_fan_out(cfg: Config) -> Result:
    result = Result(
        "d. webhook fan-out",
        f"one endpoint answering 204 at once; wrk paced to {cfg.fanout_rate_per_s:g} POSTs/s for "
        f"{cfg.fanout_seconds:g} s, then {cfg.fanout_backlog_seconds:g} s of POSTs routed with "
        "the notifier stopped, then it is started; then anchor c (raw httpx, "
        f"{ENDPOINT_CONCURRENCY} connections) posts the backlog's bodies to the same receiver",
    )
    started = time.monotonic()
    async with TimedReceiver() as receiver:
        async with stack_of(cfg, "d-webhook-fan-out", ["intake", "router", "notifier"]) as stack:
            async with api(stack, REQUESTER) as client:
                receiver.secret = (await subscribe(client, receiver.url))["secret"]
            async with TimedOutcomes(cfg.kafka, topic(stack, topics.OUTCOMES)) as outcomes:
                await warm_up(cfg, stack, outcomes)
                await receiver.wait_for(events(outcomes, outcomes.seen_at), timeout_s=60)
                steady = await steady_deliveries(cfg, stack, outcomes, receiver)
                backlog, expected = await backlog_deliveries(cfg, stack, outcomes, receiver)
        anchor = await post_again(receiver, expected)
    anchor_rate = per_second(anchor["posted"], anchor["seconds"])
    result.figures = {
        **steady,
        **backlog,
        "webhooks_received_twice": sum(1 for n in _hits_per_id(receiver).values() if n > 1),
        "signatures_failed": sum(1 for hit in receiver.hits if not hit.verified),
        "anchor_c": {
            **anchor,
            "deliveries_per_s": anchor_rate,
            "cpu_ms_per_delivery": round(anchor["cpu_s"] * 1000 / max(anchor["posted"], 1), 3),
        },
    }
    result.targets = targets.webhook_fan_out(result.figures)
    result.seconds = time.monotonic() - started
    return result


def events(outcomes: TimedOutcomes, command_ids: Iterable[str]) -> list[str]:
    """The routing events (= webhook ids) of these commands, as far as they were read."""
    return [outcomes.event_of[c] for c in command_ids if c in outcomes.event_of]


def _hits_per_id(receiver: TimedReceiver) -> dict[str, int]:
    counted: dict[str, int] = {}
    for hit in receiver.hits:
        counted[hit.webhook_id] = counted.get(hit.webhook_id, 0) + 1
    return counted


async def steady_deliveries(
    cfg: Config, stack: Stack, outcomes: TimedOutcomes, receiver: TimedReceiver
) -> dict[str, Any]:
    since = time.time()
    await load(posts(stack), cfg.fanout_seconds, 4, cfg.fanout_rate_per_s)
    commands = await commands_received(intake_db(stack), since)
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
) -> tuple[dict[str, Any], list[str]]:
    stack.stop("notifier")
    since = time.time()
    await load(posts(stack), cfg.fanout_backlog_seconds, cfg.accept_connections)
    commands = await commands_received(intake_db(stack), since)
    await outcomes.wait_seen(commands, timeout_s=180)
    expected = events(outcomes, commands)
    spawned = time.monotonic()
    stack.start("notifier")
    await stack.wait_ready("notifier", timeout_s=90)
    ready = time.monotonic()
    statements_run = await statements(cfg, stack, "notifier").start()
    meter = Meter(pids(stack, "notifier")).start()
    await receiver.wait_for(expected, timeout_s=300)
    meter.stop()
    await statements_run.stop()
    samples = await scrape(stack.url("notifier"))
    times = sorted(receiver.received_at[e] for e in expected if e in receiver.received_at)
    metered = sum(1 for t in times if t >= ready)  # the CPU is read from `ready` on
    figures = {
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
        "notifier_mean_recorded_together": mean_batch(samples, "notifier", "group_commit"),
        "notifier_claims": round(
            sample_sum(samples, "sosa_batch_size_count", service="notifier", stage="claimed")
        ),
        "notifier_mean_claimed_together": mean_batch(samples, "notifier", "claimed"),
        "deliveries_metered": metered,
        **meter.figures(metered, "delivery"),
        **statements_run.figures(metered, "delivery"),
    }
    return figures, expected


async def post_again(receiver: TimedReceiver, webhook_ids: list[str]) -> dict[str, Any]:
    """Anchor c: the bodies the notifier posted under `webhook_ids`, posted again raw."""
    assert receiver.secret is not None
    with tempfile.TemporaryDirectory(prefix="sosa-bench-") as scratch:
        bodies = Path(scratch) / "bodies.json"
        bodies.write_text(json.dumps([receiver.bodies[w].decode() for w in webhook_ids]))
        return await run_to_end(
            "raw_poster",
            f"--url={receiver.url}",
            f"--secret={receiver.secret}",
            f"--bodies={bodies}",
            f"--concurrency={ENDPOINT_CONCURRENCY}",
        )


# --- e. the read side at scale ---------------------------------------------------------------


async def read_side(cfg: Config) -> Result:
    sizes = sorted(cfg.readside_sizes)
    result = Result(
        "e. read side at scale",
        f"{', '.join(f'{n:,}' for n in sizes)} requests seeded into intake's tables on "
        "PostgreSQL (bench/readside_seed.py); intake alone on them; each call timed "
        f"{cfg.readside_repeats} times after a warm-up (median), as the operator, the busiest "
        f"requester and the busiest supplier; audit verify; submit p99 (wrk, 8 connections, "
        f"{cfg.readside_submit_seconds:g} s) alone and with an operator's dashboard polling",
    )
    started = time.monotonic()
    runs = []
    for n in sizes:
        runs.append(
            await readside.one_size(
                cfg.kafka,
                cfg.postgres_admin_url,
                n,
                cfg.logs,
                cfg.readside_repeats,
                cfg.readside_submit_seconds,
            )
        )
    print("\n" + readside.table(runs))
    result.figures = {
        "sizes": sizes,
        "seed_seconds": {f"{r.n}": round(r.seed_seconds, 1) for r in runs},
        "calls_ms": {
            label: {f"{r.n}": r.times_ms[label] for r in runs} for label in runs[0].times_ms
        },
        "statuses_not_200": {
            f"{r.n}": {k: v for k, v in r.statuses.items() if v != 200} for r in runs
        },
        "healthz_idle": {f"{r.n}": r.healthz_idle for r in runs},
        "healthz_during_calls": {f"{r.n}": r.healthz for r in runs},
        "loop_lag_during_calls": {
            f"{r.n}": {f">={b * 1000:g}ms": n for b, n in r.loop_lag.items()} for r in runs
        },
        "audit_verify": {
            f"{r.n}": {"rows": r.audit_rows, "seconds": round(r.audit_verify_s, 2)} for r in runs
        },
        "submit": {f"{r.n}": r.submit for r in runs},
    }
    result.targets = readside.targets(runs)
    result.seconds = time.monotonic() - started
    return result


SCENARIOS = {
    "a": intake_acceptance,
    "b": end_to_end,
    "c": router_catch_up,
    "d": webhook_fan_out,
    "e": read_side,
}
