"""What an attempt's result means: Retry-After, next status, early escalation, auto-disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sosa.notifier.attempts import AttemptResult, retry_after_s
from sosa.notifier.endpoint_health import sustained_failure
from sosa.notifier.recording import escalate_now, next_step, target_of
from sosa.notifier.settings import NotifierSettings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = NotifierSettings(retry_schedule_s=[0, 60, 3600], retry_jitter=0)


def row(**values: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "attempts": 0,
        "escalate_at": None,
        "escalated_at": None,
        "escalated_from": None,
        "channel": "webhook",
    }
    return SimpleNamespace(**{**base, **values})


def test_retry_after_in_seconds_or_as_a_date_is_capped() -> None:
    assert retry_after_s("120", now=NOW, cap_s=3600) == 120
    assert retry_after_s("Wed, 25 Nov 2026 12:10:00 GMT", now=NOW, cap_s=3600) == 600
    assert retry_after_s("99999", now=NOW, cap_s=3600) == 3600
    assert retry_after_s("soon", now=NOW, cap_s=3600) is None


def test_delivered_failed_and_retrying() -> None:
    assert next_step(row(), AttemptResult(204, 5), now=NOW, settings=SETTINGS) == (
        "delivered",
        None,
    )
    assert next_step(row(), AttemptResult(500, 5, "HTTP 500"), now=NOW, settings=SETTINGS) == (
        "pending",
        NOW + timedelta(seconds=60),
    )
    gone = AttemptResult(410, 5, "HTTP 410", permanent=True, disable="gone")
    assert next_step(row(), gone, now=NOW, settings=SETTINGS) == ("failed", None)
    last = row(attempts=2)
    assert next_step(last, AttemptResult(None, 5, "timeout"), now=NOW, settings=SETTINGS) == (
        "failed",
        None,
    )


def test_an_attempt_after_the_escalation_point_escalates_now() -> None:
    clock_row = row(escalate_at=NOW + timedelta(minutes=30))
    assert escalate_now(clock_row, "pending", NOW + timedelta(hours=1))
    assert not escalate_now(clock_row, "pending", NOW + timedelta(minutes=1))
    assert escalate_now(clock_row, "failed", None)
    assert not escalate_now(row(), "failed", None), "no deadline, no escalation"
    copy = row(escalate_at=NOW, escalated_from="d0")
    assert not escalate_now(copy, "failed", None), "an escalated copy is not escalated again"


def test_sustained_failure_needs_both_count_and_duration() -> None:
    week = timedelta(days=5)
    since = NOW - timedelta(days=6)
    assert sustained_failure(10, since, now=NOW, min_failures=10, after=week)
    assert not sustained_failure(9, since, now=NOW, min_failures=10, after=week)
    assert not sustained_failure(50, NOW - timedelta(hours=1), now=NOW, min_failures=10, after=week)


def test_the_logged_target_drops_credentials_and_query() -> None:
    hook = row(url="https://user:pw@hooks.example:8443/in?token=secret#x")
    assert target_of(hook) == "https://hooks.example:8443/in"
    assert target_of(row(channel="email", address="a@b.example")) == "a@b.example"
