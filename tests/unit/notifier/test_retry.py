"""The retry schedule: delays, jitter, Retry-After and exhaustion."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sosa.notifier.retry import next_attempt_at

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SCHEDULE = [0.0, 5.0, 300.0]


def test_each_attempt_waits_its_scheduled_delay_plus_at_most_ten_percent() -> None:
    for made, delay in [(1, 5.0), (2, 300.0)]:
        when = next_attempt_at(
            attempts_made=made, schedule_s=SCHEDULE, now=NOW, rng=random.Random(1)
        )
        assert when is not None
        assert timedelta(seconds=delay) <= when - NOW <= timedelta(seconds=delay * 1.1)


def test_attempts_are_exhausted_after_the_schedule() -> None:
    assert next_attempt_at(attempts_made=3, schedule_s=SCHEDULE, now=NOW) is None


def test_retry_after_is_honoured_when_longer() -> None:
    when = next_attempt_at(attempts_made=1, schedule_s=SCHEDULE, now=NOW, retry_after_s=120)
    assert when == NOW + timedelta(seconds=120)


def test_retry_after_never_shortens_the_schedule() -> None:
    when = next_attempt_at(attempts_made=2, schedule_s=SCHEDULE, now=NOW, retry_after_s=1, jitter=0)
    assert when == NOW + timedelta(seconds=300)
