"""The operators' tool, without a broker: how records read, how a timeline is ordered, how far a
deadline is, and which partition a request's records are in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from aiokafka.partitioner import DefaultPartitioner

from sosa.contracts import deliveries
from sosa.contracts.states import RequestState
from sosa.ops import overdue, timeline
from sosa.ops.records import describe
from sosa.ops.topic_reader import partition_for
from tests.unit.ops.ops_samples import (
    T0,
    accept,
    attempt_parts,
    attempted,
    command_parts,
    kafka_parts,
    outcome_parts,
    record,
    submit,
    transitioned,
)

ROUTED = RequestState.ROUTED
ACCEPTED = RequestState.ACCEPTED


def test_an_outcome_reads_as_its_transition_and_its_rules() -> None:
    event = transitioned("r-1", sequence=2, cause="c-2", before=ROUTED, after=ACCEPTED)
    entry = describe(record(outcome_parts(event), partition=1, offset=7))
    assert entry.line() == (
        "2026-12-01T14:00:00Z  1/7  sosa.outcome.transitioned.v1  r-1  "
        "#2 routed -> accepted deadline=2026-12-22T14:00:00Z | DPAS_700_13_C_ACCEPT_OR_REJECT: "
        "A DO-rated order must be accepted or rejected within 15 working days."
    )
    assert json.loads(entry.json()) == {
        "time": "2026-12-01T14:00:00Z",
        "topic": "sosa.outcomes.v1",
        "partition": 1,
        "offset": 7,
        "type": "sosa.outcome.transitioned.v1",
        "request_id": "r-1",
        "summary": entry.summary,
        "event_id": "r-1-out-2",
    }


def test_commands_read_as_their_kind_and_party() -> None:
    submitted = describe(record(command_parts(submit("r-1", "c-1")), topic="sosa.requests.v1"))
    answered = describe(record(command_parts(accept("r-1", "c-2")), topic="sosa.requests.v1"))
    assert submitted.summary == "submit by dod-navsea to acme-valves rating=DO-A3"
    assert answered.summary == "respond accept by acme-valves"
    assert (answered.type, answered.request_id) == ("sosa.command.respond.v1", "r-1")


def test_a_delivery_attempt_reads_as_where_it_went_and_how_it_ended() -> None:
    """`sosa tail sosa.deliveries.v1` decodes each attempt (#26), not a byte count."""
    attempt = deliveries.DeliveryAttempted(
        attempt_id="a-1",
        delivery_id="d-1",
        message_id="r-1-out-1",
        event_type="request.routed",
        request_id="r-1",
        party_id="acme-valves",
        role="supplier",
        fields=["request_id"],
        channel="webhook",
        target_id="ep-1",
        target="https://erp.acme.example/hooks",
        attempt=2,
        attempted_at=T0,
        outcome="retrying",
        status_code=503,
        latency_ms=41,
        error="HTTP 503",
        next_attempt_at=T0 + timedelta(minutes=5),
    )
    parts = kafka_parts(
        attempt, event_id="a-1", event_type=deliveries.ATTEMPTED, subject="r-1", at=T0
    )
    entry = describe(record(parts, topic="sosa.deliveries.v1"))
    assert entry.summary == (
        "request.routed to acme-valves (supplier) by webhook #2: retrying 503 (HTTP 503)"
    )
    assert (entry.type, entry.request_id) == ("sosa.delivery.attempted.v1", "r-1")


def test_a_record_that_is_not_a_cloudevent_still_gets_a_line() -> None:
    odd = SimpleNamespace(
        topic="t", partition=0, offset=3, key=b"k", value=b"{}", headers=(), timestamp=0
    )
    entry = describe(odd)
    assert (entry.type, entry.request_id) == ("-", "k")
    assert entry.summary == "not a CloudEvent (2 bytes)"


def test_an_unreadable_payload_is_said_so() -> None:
    key, _, headers = command_parts(submit("r-1", "c-1"))
    entry = describe(record((key, b'{"oops": 1}', headers)))
    assert entry.summary.startswith("unreadable payload:")


def test_a_timeline_puts_each_outcome_after_the_command_that_caused_it() -> None:
    later = T0 - timedelta(hours=5)  # the router's clock behind intake's: order by cause
    steps = [
        _step(command_parts(submit("r-1", "c-1")), "command", offset=10),
        _step(command_parts(accept("r-1", "c-2")), "command", offset=11),
        _step(command_parts(accept("r-1", "c-2")), "command", offset=12),  # replayed
        _step(
            outcome_parts(
                transitioned("r-1", sequence=2, cause="c-2", before=ROUTED, after=ACCEPTED)
            ),
            "outcome",
            offset=4,
        ),
        _step(
            outcome_parts(
                transitioned("r-1", sequence=1, cause="c-1", before=None, after=ROUTED, at=later)
            ),
            "outcome",
            offset=3,
        ),
        _step(
            outcome_parts(
                transitioned("r-1", sequence=3, cause="gone", before=ACCEPTED, after=ACCEPTED)
            ),
            "outcome",
            offset=5,
        ),
    ]
    ordered = timeline.ordered(steps)
    assert [(s.kind, s.entry.offset) for s in ordered] == [
        ("command", 10),
        ("outcome", 3),
        ("command", 11),
        ("outcome", 4),
        ("command", 12),
        ("outcome", 5),
    ]
    assert timeline.line(ordered[1]).startswith(
        "2026-12-01T09:00:00Z    <- outcome.transitioned.v1    #1 (new) -> routed"
    )
    assert timeline.line(ordered[0]).startswith("2026-12-01T14:00:00Z  -> command.submit.v1")


def test_a_timeline_puts_each_delivery_attempt_after_the_outcome_it_carried() -> None:
    steps = [
        _step(attempt_parts(attempted("r-1", "gone-outcome")), "delivery", offset=1),
        _step(attempt_parts(attempted("r-1", "r-1-out-1", attempt=2)), "delivery", offset=3),
        _step(attempt_parts(attempted("r-1", "r-1-out-1")), "delivery", offset=2),
        _step(command_parts(submit("r-1", "c-1")), "command", offset=10),
        _step(
            outcome_parts(transitioned("r-1", sequence=1, cause="c-1", before=None, after=ROUTED)),
            "outcome",
            offset=3,
        ),
    ]
    ordered = timeline.ordered(steps)
    assert [(s.kind, s.entry.offset) for s in ordered] == [
        ("command", 10),
        ("outcome", 3),
        ("delivery", 2),
        ("delivery", 3),
        ("delivery", 1),  # its outcome is not on the topic (any more)
    ]
    assert timeline.line(ordered[2]).endswith(
        ">> delivery.attempted.v1      request.routed to acme-valves (supplier) by webhook "
        "#1: retrying 503"
    )
    assert ordered[3].entry.summary.endswith("#2: delivered 204")


def _step(
    parts: tuple[bytes, bytes, list[tuple[str, bytes]]], kind: str, offset: int
) -> timeline.Step:
    raw = record(parts, offset=offset)
    return timeline.step(describe(raw), kind, raw.value)


def test_the_partition_is_the_default_partitioners() -> None:
    partitioner = DefaultPartitioner()
    for request_id in ("0192c3a4-aaaa-7000-8000-000000000001", "r-1", "x" * 40):
        for count in (1, 3, 12):
            expected = partitioner(request_id.encode(), list(range(count)), list(range(count)))
            assert partition_for(request_id, count) == expected


def test_working_days_skip_weekends_and_federal_holidays() -> None:
    # Thu 2026-12-24 -> Tue 2026-12-29: Fri 25 (Christmas) and the weekend do not count
    assert overdue.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 2
    assert overdue.working_days_between(date(2026, 12, 29), date(2026, 12, 24)) == -2
    assert overdue.working_days_between(date(2026, 12, 1), date(2026, 12, 1)) == 0


def test_a_routed_request_due_in_two_working_days_and_an_overdue_one() -> None:
    at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday, 10:00 in Washington
    found = overdue.ranked(
        [
            _summary("due", "routed", "2026-12-04T04:59:59Z"),  # end of Thu 3 Dec, Eastern
            _summary("late", "overdue", "2026-11-25T04:59:59Z"),  # end of Tue 24 Nov
            _summary("due", "routed", "2026-12-04T04:59:59Z"),  # listed twice: shown once
        ],
        at,
    )
    assert [s.request_id for s in found] == ["late", "due"]
    late, due = found
    assert (late.late, late.working_days) == (True, -4)  # Wed 25, Fri 27, Mon 30, Tue 1 (not 26)
    assert late.due() == "overdue by 4 working day(s) (154h)"
    assert (due.late, due.working_days) == (False, 2)
    assert due.due() == "2 working day(s) left (62h)"
    assert due.line() == (
        "due  routed    deadline=2026-12-03T23:59:59-05:00 (2026-12-04T04:59:59Z)  "
        "2 working day(s) left (62h)  supplier=acme-valves  requester=dod-navsea"
    )
    assert due.as_dict()["remaining_s"] == 62 * 3600 - 1
    assert due.as_dict()["deadline_local"] == "2026-12-03T23:59:59-05:00"


def test_a_deadline_is_shown_in_the_supplier_s_own_zone_first() -> None:
    """#26: the day a person reads is the supplier's; UTC stays beside it for machines."""
    at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    item = {
        **_summary("in-la", "routed", "2026-12-04T07:59:59Z"),
        "supplier_timezone": "America/Los_Angeles",
    }
    [found] = overdue.ranked([item], at)
    assert found.deadline_local == "2026-12-03T23:59:59-08:00"
    assert "deadline=2026-12-03T23:59:59-08:00 (2026-12-04T07:59:59Z)" in found.line()
    unknown = {**item, "supplier_timezone": "Mars/Olympus"}  # not a zone: the default's
    assert overdue.ranked([unknown], at)[0].deadline_local == "2026-12-04T02:59:59-05:00"


def test_the_horizon_is_the_end_of_the_last_working_day_in_washington() -> None:
    at = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert overdue.horizon(at, 1) == datetime(2026, 12, 29, 5, 0, tzinfo=UTC)


def _summary(request_id: str, state: str, deadline: str) -> dict[str, str]:
    return {
        "request_id": request_id,
        "state": state,
        "deadline": deadline,
        "supplier": "acme-valves",
        "requester": "dod-navsea",
    }
