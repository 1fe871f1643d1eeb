"""Restart PostgreSQL during a stream of POSTs: while it is down intake answers 503 (and stays
up), every request it acknowledged with 202 is routed once the database is back, and nothing is
routed twice (docs/guarantees.md, G1-G3).

The client does what a careful client does: it retries a 503 (or no answer) with the same
`Idempotency-Key`, so every request is accepted in the end, none twice, even one whose first
attempt committed just as the database went away.
"""

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

REQUESTS = 400
RATE_PER_S = 10.0
STOP_AT_S = 8.0
DOWN_S = 10.0
RETRY_FOR_S = 90.0


async def test_postgres_restart_answers_503_and_loses_nothing_acknowledged(
    infra: FaultInfra, kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    async with services(
        kafka=kafka_bootstrap, databases=databases, logs=tmp_path, start=["intake", "router"]
    ) as stack:
        url = f"{stack.url('intake')}/v1/priority-requests"
        stream = asyncio.create_task(
            post_stream(url, REQUESTS, rate_per_s=RATE_PER_S, retry_for_s=RETRY_FOR_S)
        )
        try:
            await asyncio.sleep(STOP_AT_S)
            await asyncio.to_thread(infra.postgres, "stop")
            down_at = time.monotonic()
            await asyncio.sleep(DOWN_S)
        finally:
            await asyncio.to_thread(infra.postgres, "start")
        up_at = time.monotonic()
        submissions = await stream
        settled = await settle(kafka_bootstrap, stack, databases, submissions)

    during = [
        status
        for s in submissions
        for status, t in zip(s.statuses, s.answered_at, strict=True)
        if down_at <= t <= up_at
    ]
    figures = routing_figures(
        f"PostgreSQL restarted ({DOWN_S:.0f} s down), {REQUESTS} requests",
        submissions,
        settled.by_cause,
        seconds=time.monotonic() - started,
        http_statuses=status_counts(submissions),
        answers_while_down=dict(sorted(status_counts_of(during).items())),
        accepted_after_a_retry=sum(1 for s in submissions if s.accepted and len(s.statuses) > 1),
        stored_though_unanswered_then_replayed=sum(1 for s in submissions if s.replayed),
        database_down_s=f"{down_at - started:.1f} to {up_at - started:.1f} after the start",
        processes_alive_at_the_end=settled.running,
        routed_within_s_after_the_stream=round(settled.waited_s, 1),
        databases=check_databases(settled.db, submissions, settled.by_cause),
    )
    figures.report()
    statuses = figures.details["http_statuses"]
    assert set(statuses) <= {"202", "503"}, statuses  # no other 5xx, and always an answer
    assert figures.accepted == REQUESTS  # every request, in the end, once retried
    assert figures.details["answers_while_down"].get("503", 0) > 0
    assert all(settled.running.values()), settled.running
    figures.assert_nothing_lost_or_doubled()
    assert set(figures.details["databases"].values()) == {0}, figures.details["databases"]


def status_counts_of(statuses: list[int | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        name = str(status) if status is not None else "none"
        counts[name] = counts.get(name, 0) + 1
    return counts
