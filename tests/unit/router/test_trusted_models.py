"""The router builds its decision records and outcome events without validating them again
(`model_construct`, #25): what it builds must be exactly what the wire's models would accept,
and the one computed value that could leave the wire's bounds, the deadline, is still refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from sosa import rules
from sosa.contracts import commands, envelope, outcomes
from sosa.contracts.outcomes import DecisionRecord
from sosa.contracts.requests import PriorityRequestDetails
from sosa.decisions import translate
from sosa.decisions.config import RulesConfig
from sosa.router.batch_state import RequestRecord
from sosa.router.outcome_outputs import OutcomeWriter
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.unit.intake.builders import DOD_REGISTERED, decision

CONFIG = RulesConfig.load()


def submission(received_at: datetime) -> commands.SubmitRequest:
    return commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id="r-1",
        received_at=received_at,
        details=PriorityRequestDetails.model_validate(DPAS_REQUEST),
        registered=DOD_REGISTERED,
    )


def test_a_constructed_decision_record_and_outcome_are_what_the_wire_validates() -> None:
    command = submission(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    decided = translate.decide_submission(command, CONFIG, rules.PostureBoard.peacetime())
    record = decided.record
    assert record.deadline is not None, "a DPAS clock was started"
    assert record.reminders
    assert DecisionRecord.model_validate(record.model_dump(mode="json")) == record

    writer = OutcomeWriter(config=CONFIG, source="/test")
    cause = envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=str(command.type),
        source="/test",
        subject=command.request_id,
        time=command.received_at,
    )
    request = RequestRecord(
        request_id="r-1", facts=decided.facts, sequence=0, details={}, last_decision=record
    )
    event = writer.transition(
        request, decided, previous=rules.RequestStatus.RECEIVED, cause=cause, now=cause.time
    )
    [output] = writer.outputs([event], cause=cause, now=cause.time)
    read = envelope.from_kafka(output.value, list(output.headers))
    parsed = outcomes.parse_outcome(read.type, read.data)
    assert type(parsed) is outcomes.RequestTransitioned
    assert parsed.model_dump(mode="json") == event.model_dump(mode="json")
    assert (parsed.state, parsed.sequence, parsed.parties.supplier) == ("routed", 1, "acme-valves")


def test_a_deadline_past_the_wire_s_years_is_refused() -> None:
    """A request received at the end of 2200 (the last year an instant may have) would be due
    in 2201: the router refuses to decide it (a dead letter) rather than publish an outcome that
    every reader would refuse."""
    command = submission(datetime(2200, 12, 30, 12, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="2201"):
        translate.decide_submission(command, CONFIG, rules.PostureBoard.peacetime())


def test_the_decision_is_serialised_once_for_the_outcome_and_the_row() -> None:
    """`RequestRecord.deciding` makes the decision's JSON once; the outcome carries exactly that
    text (not a second serialisation), and the whole event still reads back as the wire's model."""
    command = submission(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    decided = translate.decide_submission(command, CONFIG, rules.PostureBoard.peacetime())
    writer = OutcomeWriter(config=CONFIG, source="/test")
    cause = envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=str(command.type),
        source="/test",
        subject=command.request_id,
        time=command.received_at,
    )
    request = RequestRecord(
        request_id="r-1", facts=decided.facts, sequence=0, details={}, last_decision=decided.record
    ).deciding(decided.record)
    assert request.last_decision_json == decided.record.model_dump_json()
    event = writer.transition(
        request, decided, previous=rules.RequestStatus.RECEIVED, cause=cause, now=cause.time
    )
    marked = '{"outcome":"marked by the test"}'  # what a second serialisation would not give
    [output] = writer.outputs([event], cause=cause, now=cause.time, known=(decided.record, marked))
    assert json.loads(output.value)["decision"] == {"outcome": "marked by the test"}

    [output] = writer.outputs([event], cause=cause, now=cause.time, known=request.decision_text)
    read = envelope.from_kafka(output.value, list(output.headers))
    parsed = outcomes.parse_outcome(read.type, read.data)
    assert parsed.model_dump(mode="json") == event.model_dump(mode="json")
    # another decision than the one known (a refusal keeps the request's) is serialised anew
    [output] = writer.outputs([event], cause=cause, now=cause.time, known=(decision(), marked))
    assert json.loads(output.value)["decision"] == json.loads(decided.record.model_dump_json())
