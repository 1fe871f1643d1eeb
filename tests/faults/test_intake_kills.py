"""kill -9 intake at random moments while requests stream in fast enough that its group commit
gathers several at a time (sosa.infra.group_commit): a request answered 202 is never lost, and
one whose answer the kill swallowed, retried by its client with the same Idempotency-Key after
intake is back, is stored once, whether or not its batch had committed (docs/guarantees.md,
G1-G3; #11). The seed is printed; `SOSA_FAULTS_SEED` replays a run's choices.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.faults.support import (
    Submission,
    check_databases,
    post_stream,
    restart,
    routing_figures,
    services,
    settle,
    status_counts,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = 1200
RATE_PER_S = 80.0
"""15 s of requests, 16 in flight at most: intake's batches hold several at once."""
CONCURRENCY = 16
KILLS = 4
PAUSE_S = (1.5, 3.0)
"""Each kill this long after intake was ready again, drawn at random."""
RETRY_FOR_S = 120.0
GATHER_S = 0.1
"""Intake's group commit waits this long for more writes (production: a few milliseconds), so
that most kills catch requests gathered in a batch, before or during its commit."""


async def test_intake_killed_during_group_commits_loses_no_acknowledged_request(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("SOSA_FAULTS_SEED", str(random.SystemRandom().randrange(1 << 32))))
    rng = random.Random(seed)
    started = time.monotonic()
    async with services(
        kafka=kafka_bootstrap,
        databases=databases,
        logs=tmp_path,
        start=["intake", "router"],
        SOSA_INTAKE_GROUP_COMMIT_MAX_WAIT_S=str(GATHER_S),
    ) as stack:
        url = f"{stack.url('intake')}/v1/priority-requests"
        stream = asyncio.create_task(
            post_stream(
                url,
                REQUESTS,
                rate_per_s=RATE_PER_S,
                concurrency=CONCURRENCY,
                retry_for_s=RETRY_FOR_S,
            )
        )
        kills: list[float] = []  # time.monotonic() of each
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(*PAUSE_S))
            stack.stop("intake", signal.SIGKILL)
            kills.append(time.monotonic())
            await restart(stack, "intake")
        submissions = await stream
        settled = await settle(kafka_bootstrap, stack, databases, submissions)

    figures = routing_figures(
        f"intake killed {KILLS} times during {REQUESTS} requests at {RATE_PER_S:g}/s",
        submissions,
        settled.by_cause,
        seconds=time.monotonic() - started,
        seed=seed,
        kills_at_s=[round(k - started, 1) for k in kills],
        http_statuses=status_counts(submissions),
        attempts_cut_off_mid_request=cut_off(submissions),
        stored_though_unanswered_then_replayed=sum(1 for s in submissions if s.replayed),
        processes_alive_at_the_end=settled.running,
        routed_within_s_after_the_stream=round(settled.waited_s, 1),
        databases=check_databases(settled.db, submissions, settled.by_cause),
    )
    figures.report()
    assert figures.accepted == REQUESTS, figures.details["http_statuses"]  # in the end, retried
    assert figures.details["attempts_cut_off_mid_request"] > 0, "no kill caught a request"
    assert all(settled.running.values()), settled.running
    figures.assert_nothing_lost_or_doubled()
    assert set(figures.details["databases"].values()) == {0}, figures.details["databases"]


def cut_off(submissions: list[Submission]) -> int:
    """Attempts whose connection a kill broke mid-request (sent, never answered), as opposed
    to those that later found nothing listening (refused at connect)."""
    return sum(1 for s in submissions for e in s.errors if not e.startswith("ConnectError"))
