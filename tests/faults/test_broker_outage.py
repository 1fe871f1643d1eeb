"""Stop the broker for 30 s during a stream of POSTs: intake keeps answering 202 (its outbox
holds the commands), every 202 is routed once the broker is back, and no 5xx is returned: the
only 5xx intake documents is the 503 of a database outage, and the database stays up here
(docs/guarantees.md, G1-G2)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.faults.infra import FaultInfra
from tests.faults.support import (
    check_databases,
    post_stream,
    routing_figures,
    services,
    settle,
    status_counts,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = 500
RATE_PER_S = 10.0
STOP_AT_S = 8.0
DOWN_S = 30.0


async def test_broker_down_for_30_s_loses_no_accepted_request(
    infra: FaultInfra, kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    async with services(
        kafka=kafka_bootstrap, databases=databases, logs=tmp_path, start=["intake", "router"]
    ) as stack:
        url = f"{stack.url('intake')}/v1/priority-requests"
        stream = asyncio.create_task(post_stream(url, REQUESTS, rate_per_s=RATE_PER_S))
        try:
            await asyncio.sleep(STOP_AT_S)
            await asyncio.to_thread(infra.kafka, "stop")
            down_at = time.monotonic()
            await asyncio.sleep(DOWN_S)
            up_at = time.monotonic()
        finally:
            await asyncio.to_thread(infra.kafka, "start")
        back_at = time.monotonic()
        submissions = await stream
        settled = await settle(kafka_bootstrap, stack, databases, submissions)

    answered_while_down = [
        s for s in submissions if any(down_at <= t <= up_at for t in s.answered_at)
    ]
    figures = routing_figures(
        f"broker stopped for {DOWN_S:.0f} s, {REQUESTS} requests",
        submissions,
        settled.by_cause,
        seconds=time.monotonic() - started,
        http_statuses=status_counts(submissions),
        processes_alive_at_the_end=settled.running,
        broker_down_s=f"{down_at - started:.1f} to {up_at - started:.1f} after the start "
        f"(ready again at {back_at - started:.1f})",
        accepted_while_broker_down=sum(1 for s in answered_while_down if s.accepted),
        routed_within_s_after_the_stream=round(settled.waited_s, 1),
        databases=check_databases(settled.db, submissions, settled.by_cause),
    )
    figures.report()
    assert figures.details["http_statuses"] == {"202": REQUESTS}
    assert all(settled.running.values()), settled.running
    assert figures.details["accepted_while_broker_down"] >= DOWN_S * RATE_PER_S * 0.5
    figures.assert_nothing_lost_or_doubled()
    assert set(figures.details["databases"].values()) == {0}, figures.details["databases"]
