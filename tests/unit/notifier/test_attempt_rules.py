"""What an attempt's result means: Retry-After, next status, early escalation, auto-disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from sosa.notifier.attempts import AttemptResult, retry_after_s
from sosa.notifier.endpoint_health import sustained_failure
from sosa.notifier.recording import escalate_now, next_step, target_of
from sosa.notifier.settings import NotifierSettings
from sosa.rules import Posture, PostureBook

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = NotifierSettings(retry_schedule_s=[0, 60, 3600], retry_jitter=0)
BOOK = PostureBook.default()


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
    assert target_of(hook) == "https://hooks.example:8443/in?…"
    assert target_of(row(channel="email", address="a@b.example")) == "a@b.example"


@pytest.mark.parametrize(
    ("posture", "first_wait_s", "second_wait_s"),
    [("peacetime", 60, 3600), ("emergency", 30, 1800), ("armed_conflict", 15, 900)],
)
def test_each_posture_shortens_the_retry_waits_by_its_factor(
    posture: str, first_wait_s: float, second_wait_s: float
) -> None:
    """postures.json's retry_interval_factor (1, 0.5, 0.25) times the configured schedule; a
    receiver's Retry-After still wins when it asks for longer."""
    factor = BOOK.settings[Posture(posture)].retry_interval_factor
    failed = AttemptResult(503, 5, "HTTP 503")
    waits = [
        next_step(row(attempts=n), failed, now=NOW, settings=SETTINGS, retry_factor=factor)
        for n in (0, 1)
    ]
    assert waits == [
        ("pending", NOW + timedelta(seconds=first_wait_s)),
        ("pending", NOW + timedelta(seconds=second_wait_s)),
    ]
    patient = AttemptResult(503, 5, "HTTP 503", retry_after_s=120)
    assert next_step(row(), patient, now=NOW, settings=SETTINGS, retry_factor=factor)[1] == (
        NOW + timedelta(seconds=max(120, first_wait_s))
    )
