"""Scale-out on the local 3-node cluster (replication 3, `min.insync.replicas=2`): 2 intakes,
3 routers and 2 notifiers as processes on PostgreSQL take a stream of requests; one router and
one notifier are killed with `kill -9` mid-stream, then a fourth router joins. Every request is
routed exactly once, every webhook is delivered, and the routers' partitions are rebalanced
each time (the assignment each router logged last is printed with the figures).
docs/operations.md explains how to size partitions, groups and instances from this.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.notifier_support import api, subscribe
from tests.faults.infra import FaultInfra
from tests.faults.support import (
    Receiver,
    RoutingOutcomes,
    alive,
    check_databases,
    outcomes_by_cause,
    post_stream,
    routing_figures,
    routing_in_databases,
    services,
    status_counts,
    topic,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = 450  # 45 s at 10/s: the kill and the join both land mid-stream
RATE_PER_S = 10.0
PARTITIONS = "6"
KILL_AT_S = (4.0, 8.0)  # after the stream starts
ADD_AFTER_S = 3.0  # after the survivors have taken the partitions over
REQUESTER = "dod-navsea"  # the requester of every request posted: its endpoint hears `routed`
START = ["intake", "intake-2", "router", "router-2", "router-3", "notifier", "notifier-2"]


def assignments(logs: Path, routers: list[str]) -> dict[str, list[int]]:
    """The partitions of the commands topic each router was last assigned (from its log)."""
    found: dict[str, list[int]] = {}
    for name in routers:
        for line in (logs / f"{name}.log").read_text(errors="replace").splitlines():
            if '"partitions assigned"' not in line:
                continue
            partitions = json.loads(line)["partitions"]
            found[name] = sorted(
                int(p.rsplit("partition=", 1)[1].rstrip(")"))
                for p in partitions
                if "sosa.requests.v1'" in p
            )
    return found


async def until_rebalanced(logs: Path, routers: list[str], timeout_s: float = 60) -> None:
    """Until the routers named hold every partition between them, once each."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        held = assignments(logs, routers)
        taken = sorted(p for name in routers for p in held.get(name, []))
        if taken == list(range(int(PARTITIONS))) and all(held.get(n) for n in routers):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not rebalanced over {routers}: {assignments(logs, routers)}")


async def test_scaled_out_services_route_once_and_deliver_everything_through_kills_and_a_join(
    infra: FaultInfra, databases: dict[str, str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("SOSA_FAULTS_SEED", str(random.SystemRandom().randrange(1 << 32))))
    rng = random.Random(seed)
    bootstrap = (await asyncio.to_thread(infra.kafka, "cluster-start")).strip().splitlines()[-1]
    started = time.monotonic()
    async with (
        Receiver(delay_s=0.1) as receiver,
        services(
            kafka=bootstrap,
            databases=databases,
            logs=tmp_path,
            start=START,
            SOSA_TOPIC_REPLICATION="3",
            SOSA_TOPIC_PARTITIONS=PARTITIONS,
            SOSA_WEBHOOK_TIMEOUT_S="2",  # a claim is leased for 2 x 4 (claim-ahead) + 1 s
            SOSA_LEASE_MARGIN_S="1",
        ) as stack,
    ):
        routers = ["router", "router-2", "router-3"]
        await until_rebalanced(tmp_path, routers)
        at_start = assignments(tmp_path, routers)
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        intakes = [f"{stack.url(name)}/v1/priority-requests" for name in ("intake", "intake-2")]
        async with RoutingOutcomes(bootstrap, topic(stack, "sosa.outcomes.v1")) as outcomes:
            stream_at = time.monotonic() - started
            stream = asyncio.create_task(post_stream(intakes, REQUESTS, rate_per_s=RATE_PER_S))
            await asyncio.sleep(rng.uniform(*KILL_AT_S))
            stack.stop("router-2", signal.SIGKILL)
            stack.stop("notifier-2", signal.SIGKILL)
            killed_at = time.monotonic() - started
            routers = ["router", "router-3"]
            await until_rebalanced(tmp_path, routers)
            after_kill = assignments(tmp_path, routers)
            await asyncio.sleep(ADD_AFTER_S)
            stack.start("router", name="router-4")
            await stack.wait_ready("router-4", timeout_s=90)
            added_at = time.monotonic() - started
            routers = ["router", "router-3", "router-4"]
            await until_rebalanced(tmp_path, routers)
            after_join = assignments(tmp_path, routers)

            submissions = await stream
            stream_end = time.monotonic() - started
            accepted = [s for s in submissions if s.accepted]
            waited = await outcomes.wait_for([s.command_id for s in accepted], timeout_s=180)
            routing_events = {
                seen.event_id: seen.request_id
                for s in accepted
                for seen in outcomes.by_cause.get(s.command_id, [])
            }
            await receiver.wait_for(routing_events.keys(), timeout_s=120)
            await outcomes.read_on(3)  # a late duplicate would show up here
        by_cause = await outcomes_by_cause(bootstrap, topic(stack, "sosa.outcomes.v1"))
        db = await routing_in_databases(databases, {s.command_id: s.request_id for s in accepted})
        running = alive(stack)

    hits_by_id: dict[str, int] = {}
    for hit in receiver.hits:
        if hit.event_type == "request.routed":
            hits_by_id[hit.webhook_id] = hits_by_id.get(hit.webhook_id, 0) + 1
    figures = routing_figures(
        f"scale-out: 2 intakes, 3 routers, 2 notifiers; a router and a notifier killed, "
        f"a router added; {REQUESTS} requests",
        submissions,
        by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        partitions=int(PARTITIONS),
        stream=f"{stream_at:.1f} s to {stream_end:.1f} s, alternating between the two intakes",
        assignment_at_start=at_start,
        killed=f"router-2 and notifier-2 at {killed_at:.1f} s",
        assignment_after_the_kill=after_kill,
        added=f"router-4 at {added_at:.1f} s",
        assignment_after_the_join=after_join,
        http_statuses=status_counts(submissions),
        accepted_per_intake={
            "intake": sum(1 for s in accepted if s.index % 2 == 0),
            "intake-2": sum(1 for s in accepted if s.index % 2 == 1),
        },
        processes_alive_at_the_end=running,
        routed_within_s_after_the_stream=round(waited, 1),
        webhooks_expected=len(routing_events),
        webhooks_delivered=len(routing_events.keys() & hits_by_id.keys()),
        webhooks_lost=len(routing_events.keys() - hits_by_id.keys()),
        webhooks_redelivered_same_id=sum(1 for n in hits_by_id.values() if n > 1),
        signatures_failed=sum(1 for hit in receiver.hits if not hit.verified),
        databases=check_databases(db, submissions, by_cause),
    )
    figures.report()
    d = figures.details
    assert d["http_statuses"] == {"202": REQUESTS}
    assert running == dict.fromkeys([*set(START) - {"router-2", "notifier-2"}, "router-4"], True)
    figures.assert_nothing_lost_or_doubled()
    assert d["webhooks_lost"] == 0
    assert d["signatures_failed"] == 0
    assert set(d["databases"].values()) == {0}, d["databases"]
    assert all(after_join.values())  # the router that joined took partitions
