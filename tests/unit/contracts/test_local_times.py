"""Times for people (#26 item 5): every deadline a person reads is shown in the supplier's own
zone with its offset, the UTC value beside it: the decision record (view, timeline, webhooks,
e-mail), the request list and view, the dashboard's due tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sosa.contracts.local_times import local_time, supplier_zone
from sosa.decisions.translate import to_record
from sosa.intake.insights.dashboard import DueRequest
from sosa.intake.views.models import RequestSummary
from sosa.notifier.email_message import subject
from sosa.rules import Decision, Outcome, Path

DEADLINE = datetime(2026, 12, 29, 4, 59, 59, tzinfo=UTC)  # 28 December, end of day in New York


def test_the_deadline_of_28_december_reads_28_december_where_the_supplier_is() -> None:
    assert local_time(DEADLINE, "America/New_York") == "2026-12-28T23:59:59-05:00"
    assert local_time("2026-12-29T04:59:59+00:00", "Asia/Kolkata") == "2026-12-29T10:29:59+05:30"
    assert local_time(None, "America/New_York") is None
    # no zone, or none that exists: the exchange's default, where the router counted the day
    assert local_time(DEADLINE, None) == "2026-12-28T23:59:59-05:00"
    assert local_time(DEADLINE, "Mars/Olympus") == "2026-12-28T23:59:59-05:00"
    assert supplier_zone({"supplier": {"timezone": "Europe/Paris"}}) == "Europe/Paris"
    assert supplier_zone({"supplier": {"name": "x"}}) == "America/New_York"
    assert supplier_zone(None) == "America/New_York"


def test_the_decision_record_carries_both() -> None:
    decision = Decision(
        request_id="r-1",
        outcome=Outcome.DPAS_RATED_ORDER,
        path=Path.DPAS,
        deadline=DEADLINE,
        findings=(),
        ruleset_version="test",
    )
    record = to_record(decision, zone="America/Chicago")
    assert record.deadline == DEADLINE
    assert record.deadline_local == "2026-12-28T22:59:59-06:00"
    assert record.supplier_timezone == "America/Chicago"
    assert to_record(decision).deadline_local == "2026-12-28T23:59:59-05:00"


def row(**extra: Any) -> dict[str, Any]:
    now = datetime(2026, 12, 20, tzinfo=UTC)
    return {
        "request_id": "r-1",
        "state": "routed",
        "path": "dpas",
        "rating": "DX-A3",
        "rating_level": "DX",
        "requester": "dod-navsea",
        "supplier": "acme-valves",
        "deadline": DEADLINE,
        "required_delivery_date": None,
        "received_at": now,
        "updated_at": now,
        "links": {},
        **extra,
    }


def test_the_list_the_view_and_the_dashboard_show_the_supplier_s_day() -> None:
    from_details = RequestSummary.model_validate(
        row(details={"supplier": {"timezone": "Asia/Kolkata"}})
    )
    assert from_details.deadline_local == "2026-12-29T10:29:59+05:30"
    assert from_details.supplier_timezone == "Asia/Kolkata"
    listed = RequestSummary.model_validate(row(supplier_timezone=None))
    assert listed.deadline_local == "2026-12-28T23:59:59-05:00"
    assert listed.model_dump(mode="json")["deadline"] == "2026-12-29T04:59:59Z"
    due = DueRequest.model_validate(row(supplier_timezone="America/Denver"))
    assert due.deadline_local == "2026-12-28T21:59:59-07:00"


def test_an_e_mail_subject_gives_the_local_deadline_then_utc() -> None:
    data = {
        "request_id": "r-1",
        "decision": {
            "deadline": "2026-12-29T04:59:59Z",
            "deadline_local": "2026-12-28T23:59:59-05:00",
        },
    }
    assert subject("request.routed", data).endswith(
        "due 2026-12-28T23:59:59-05:00 (2026-12-29T04:59:59Z UTC)"
    )
