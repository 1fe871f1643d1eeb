"""`python -m bench.profile intake|router|router-steady|notifier [SECONDS]`: a flame graph of one
service under its benchmark's load (py-spy, sampling the running process from outside, 100
samples a second, native frames left out), written to docs/profiles/<service>.svg; py-spy's own
summary goes to stdout. The loads are those of scenarios a, c, b (`router-steady`,
`notifier-steady`) and d
(bench/scenarios.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time

from bench.measure import REQUESTER, TimedOutcomes, TimedReceiver, commands_received
from bench.scenarios import (
    Config,
    events,
    intake_db,
    load,
    posts,
    stack_of,
    warm_up,
)
from sosa.contracts import topics
from tests.e2e.notifier_support import api, subscribe
from tests.e2e.stack import PREFIXES_USED, Stack, delete_topics_of
from tests.faults.infra import ROOT
from tests.faults.support import topic

OUT = ROOT / "docs" / "profiles"


async def record(
    stack: Stack, service: str, seconds: float, *, name: str | None = None
) -> asyncio.subprocess.Process:
    """py-spy recording `service` for `seconds` (started, not awaited), to
    docs/profiles/<name or service>.svg."""
    spy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
    OUT.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        f"--pid={stack.processes[service].pid}",
        f"--duration={seconds:g}",
        "--rate=100",
        f"--format={os.environ.get('SOSA_PROFILE_FORMAT', 'flamegraph')}",
        f"--output={os.environ.get('SOSA_PROFILE_OUTPUT', OUT / f'{name or service}.svg')}",
        "--nonblocking",
    )


async def intake(cfg: Config, seconds: float) -> None:
    async with stack_of(cfg, "profile-intake", ["intake", "router"]) as stack:
        await warm_up(cfg, stack)
        spy = await record(stack, "intake", seconds)
        await load(posts(stack), seconds + 1, cfg.accept_connections)
        await spy.wait()


async def router(cfg: Config, seconds: float) -> None:
    async with stack_of(cfg, "profile-router", ["intake"]) as stack:
        await load(posts(stack), seconds * 2, cfg.accept_connections)  # a backlog to work off
        stack.start("router")
        await stack.wait_ready("router", timeout_s=90)
        spy = await record(stack, "router", seconds)
        await spy.wait()


async def router_steady(cfg: Config, seconds: float) -> None:
    """The router in scenario b's steady stream (small batches: what each batch's fixed cost
    is), written to docs/profiles/router-steady.svg."""
    async with stack_of(cfg, "profile-router-steady", ["intake", "router"]) as stack:
        await warm_up(cfg, stack)
        spy = await record(stack, "router", seconds, name="router-steady")
        await load(posts(stack), seconds + 1, cfg.e2e_connections, cfg.e2e_rate_per_s)
        await spy.wait()


async def notifier(cfg: Config, seconds: float) -> None:
    async with (
        TimedReceiver() as receiver,
        stack_of(cfg, "profile-notifier", ["intake", "router", "notifier"]) as stack,
    ):
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        stack.stop("notifier")  # a backlog to work off
        async with TimedOutcomes(cfg.kafka, topic(stack, topics.OUTCOMES)) as outcomes:
            since = time.time()
            await load(posts(stack), seconds, cfg.accept_connections)
            commands = await commands_received(intake_db(stack), since)
            await outcomes.wait_seen(commands, timeout_s=120)
            stack.start("notifier")
            await stack.wait_ready("notifier", timeout_s=90)
            spy = await record(stack, "notifier", seconds)
            await receiver.wait_for(events(outcomes, commands), timeout_s=300)
            await spy.wait()


async def notifier_steady(cfg: Config, seconds: float) -> None:
    """The notifier in scenario b's steady stream (one webhook endpoint of the requester, the
    outcomes arriving as they are routed), written to docs/profiles/notifier-steady.svg."""
    async with (
        TimedReceiver() as receiver,
        stack_of(cfg, "profile-notifier-steady", ["intake", "router", "notifier"]) as stack,
    ):
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        await warm_up(cfg, stack)
        spy = await record(stack, "notifier", seconds, name="notifier-steady")
        await load(posts(stack), seconds + 1, cfg.e2e_connections, cfg.e2e_rate_per_s)
        await spy.wait()


PROFILES = {
    "intake": intake,
    "router": router,
    "router-steady": router_steady,
    "notifier": notifier,
    "notifier-steady": notifier_steady,
}


async def main(service: str, seconds: float) -> None:
    cfg = Config(
        kafka=os.environ.get("SOSA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        postgres_admin_url=os.environ.get(
            "SOSA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:55432/postgres"
        ),
        logs=ROOT / "var" / "bench" / "logs",
    )
    try:
        await PROFILES[service](cfg, seconds)
    finally:
        await delete_topics_of(cfg.kafka, PREFIXES_USED)
    print(f"[profile] {os.environ.get('SOSA_PROFILE_OUTPUT', OUT / f'{service}.svg')}")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in PROFILES:
        sys.exit(f"usage: python -m bench.profile {'|'.join(PROFILES)} [SECONDS]")
    asyncio.run(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 10.0))
