"""A three-broker cluster on loopback (replication 3, `min.insync.replicas=2`): kill -9 the
leader of a partition mid-stream, bring it back later, and nothing accepted is lost or routed
twice (docs/guarantees.md, G4 and G7).

The killed broker leads partitions of the topics sosa uses and may hold the group or
transaction coordinator or the KRaft controller; the other two keep an in-sync quorum of 2, so
acks=all writes and transactions go on once leadership has moved.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.faults.infra import FaultInfra
from tests.faults.support import (
    check_databases,
    post_stream,
    routing_figures,
    services,
    settle,
    status_counts,
    topic,
)
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = 500
RATE_PER_S = 10.0
KILL_AT_S = (6.0, 14.0)
DOWN_S = 20.0


async def leaders(bootstrap: str, topics: list[str]) -> dict[str, dict[int, int]]:
    """{topic: {partition: leader node id}}."""
    admin = AIOKafkaAdminClient(**as_super_user(bootstrap))
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: {p["partition"]: p["leader"] for p in t["partitions"]} for t in described}


async def test_killing_a_partition_leader_loses_and_doubles_nothing(
    infra: FaultInfra, databases: dict[str, str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("SOSA_FAULTS_SEED", str(random.SystemRandom().randrange(1 << 32))))
    rng = random.Random(seed)
    bootstrap = (await asyncio.to_thread(infra.kafka, "cluster-start")).strip().splitlines()[-1]
    started = time.monotonic()
    async with services(
        kafka=bootstrap,
        databases=databases,
        logs=tmp_path,
        start=["intake", "router"],
        SOSA_TOPIC_REPLICATION="3",
    ) as stack:
        requests_topic = topic(stack, "sosa.requests.v1")
        outcomes_topic = topic(stack, "sosa.outcomes.v1")
        stream = asyncio.create_task(
            post_stream(
                f"{stack.url('intake')}/v1/priority-requests", REQUESTS, rate_per_s=RATE_PER_S
            )
        )
        try:
            await asyncio.sleep(rng.uniform(*KILL_AT_S))
            before = await leaders(bootstrap, [requests_topic, outcomes_topic])
            victim = before[requests_topic][0]  # the leader of the input's partition 0
            await asyncio.to_thread(infra.kafka, "cluster-kill-node", str(victim))
            killed_at = time.monotonic() - started
            await asyncio.sleep(DOWN_S)
        finally:
            await asyncio.to_thread(infra.kafka, "cluster-start")
        back_at = time.monotonic() - started
        after = await leaders(bootstrap, [requests_topic, outcomes_topic])
        submissions = await stream
        settled = await settle(bootstrap, stack, databases, submissions)

    led = {
        name.removeprefix(stack.env["SOSA_TOPIC_PREFIX"]): sorted(
            p for p, leader in partitions.items() if leader == victim
        )
        for name, partitions in before.items()
    }
    figures = routing_figures(
        f"3-broker cluster, leader of a partition killed, {REQUESTS} requests",
        submissions,
        settled.by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        killed_node=victim,
        partitions_it_led=led,
        down_s=f"{killed_at:.1f} to {back_at:.1f} after the start (back in the cluster)",
        leaders_after={
            name.removeprefix(stack.env["SOSA_TOPIC_PREFIX"]): partitions
            for name, partitions in after.items()
        },
        http_statuses=status_counts(submissions),
        processes_alive_at_the_end=settled.running,
        routed_within_s_after_the_stream=round(settled.waited_s, 1),
        databases=check_databases(settled.db, submissions, settled.by_cause),
    )
    figures.report()
    assert figures.details["http_statuses"] == {"202": REQUESTS}
    assert all(settled.running.values()), settled.running
    figures.assert_nothing_lost_or_doubled()
    assert set(figures.details["databases"].values()) == {0}, figures.details["databases"]
