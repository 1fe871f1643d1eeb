"""kill -9 the notifier mid-delivery: every webhook is still delivered at least once, always
under the same `webhook-id` for one event and endpoint, and the notifier holds one delivery per
(event, endpoint) (docs/guarantees.md, G5: at least once, de-duplicable by receivers).

The receiver takes a while to answer, so that webhooks are in flight when the notifier dies; a
delivery whose attempt was cut off waits for its lease to run out and is sent again.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.notifier_support import api, subscribe
from tests.faults.support import (
    Receiver,
    RoutingOutcomes,
    alive,
    outcomes_by_cause,
    post_stream,
    restart,
    routing_figures,
    services,
    status_counts,
    topic,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = 200
RATE_PER_S = 8.0
KILLS = 4
PAUSE_S = (1.0, 5.0)
REQUESTER = "dod-navsea"  # the requester of every request posted: its endpoint hears `routed`


async def test_notifier_killed_mid_delivery_delivers_every_webhook_under_one_id(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("SOSA_FAULTS_SEED", str(random.SystemRandom().randrange(1 << 32))))
    rng = random.Random(seed)
    started = time.monotonic()
    async with (
        Receiver(delay_s=0.25) as receiver,
        services(
            kafka=kafka_bootstrap,
            databases=databases,
            logs=tmp_path,
            start=["intake", "router", "notifier"],
            SOSA_WEBHOOK_TIMEOUT_S="2",  # a claim is leased for 2 x 4 (claim-ahead) + 1 s
            SOSA_LEASE_MARGIN_S="1",
        ) as stack,
    ):
        async with api(stack, REQUESTER) as client:
            receiver.secret = (await subscribe(client, receiver.url))["secret"]
        async with RoutingOutcomes(kafka_bootstrap, topic(stack, "sosa.outcomes.v1")) as outcomes:
            stream = asyncio.create_task(
                post_stream(
                    f"{stack.url('intake')}/v1/priority-requests", REQUESTS, rate_per_s=RATE_PER_S
                )
            )
            kills: list[int] = []  # webhooks in flight at each kill
            while (len(kills) < KILLS or not stream.done()) and len(kills) < 3 * KILLS:
                for _ in range(int(rng.uniform(*PAUSE_S) / 0.2)):
                    await outcomes.poll()
                kills.append(receiver.in_flight)
                stack.stop("notifier", signal.SIGKILL)
                await restart(stack, "notifier")
            submissions = await stream
            accepted = [s for s in submissions if s.accepted]
            await outcomes.wait_for([s.command_id for s in accepted], timeout_s=120)
            routing_events = {
                seen.event_id: seen.request_id
                for s in accepted
                for seen in outcomes.by_cause.get(s.command_id, [])
            }
            await receiver.wait_for(routing_events.keys(), timeout_s=120)
            await asyncio.sleep(3)  # a late redelivery would show up here
        by_cause = await outcomes_by_cause(kafka_bootstrap, topic(stack, "sosa.outcomes.v1"))
        rows = await delivery_rows(databases["notifier"])
        running = alive(stack)

    routed_hits = [hit for hit in receiver.hits if hit.event_type == "request.routed"]
    ids_by_request: dict[str, set[str]] = {}
    hits_by_id: dict[str, int] = {}
    for hit in routed_hits:
        ids_by_request.setdefault(hit.request_id, set()).add(hit.webhook_id)
        hits_by_id[hit.webhook_id] = hits_by_id.get(hit.webhook_id, 0) + 1
    figures = routing_figures(
        f"notifier kill -9 x{len(kills)} mid-delivery, {REQUESTS} requests",
        submissions,
        by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        webhooks_in_flight_at_each_kill=kills,
        http_statuses=status_counts(submissions),
        processes_alive_at_the_end=running,
        webhooks_expected=len(routing_events),
        webhooks_delivered=len(routing_events.keys() & hits_by_id.keys()),
        webhooks_lost=len(routing_events.keys() - hits_by_id.keys()),
        webhooks_redelivered_same_id=sum(1 for n in hits_by_id.values() if n > 1),
        webhook_hits=len(routed_hits),
        events_under_two_or_more_ids=sum(1 for ids in ids_by_request.values() if len(ids) > 1),
        ids_not_the_event_id=sum(
            1 for hit in routed_hits if routing_events.get(hit.webhook_id) != hit.request_id
        ),
        signatures_failed=sum(1 for hit in receiver.hits if not hit.verified),
        delivery_rows_per_event_and_endpoint_over_one=rows["doubled"],
        deliveries_not_delivered=rows["not_delivered"],
    )
    figures.report()
    d = figures.details
    assert sum(1 for n in kills if n > 0) >= 1, "no kill landed while a webhook was in flight"
    assert all(running.values()), running
    figures.assert_nothing_lost_or_doubled()
    assert d["webhooks_lost"] == 0
    assert d["events_under_two_or_more_ids"] == 0
    assert d["ids_not_the_event_id"] == 0
    assert d["signatures_failed"] == 0
    assert d["delivery_rows_per_event_and_endpoint_over_one"] == 0


async def delivery_rows(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            doubled = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM (SELECT event_id, endpoint_id FROM deliveries"
                        " WHERE endpoint_id IS NOT NULL GROUP BY event_id, endpoint_id"
                        " HAVING count(*) > 1) AS d"
                    )
                )
            ).scalar_one()
            not_delivered = (
                await connection.execute(
                    text("SELECT count(*) FROM deliveries WHERE status <> 'delivered'")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return {"doubled": doubled, "not_delivered": not_delivered}
