"""The router builds its decision records and outcome events without validating them again
(`model_construct`, #25): what it builds must be exactly what the wire's models would accept,
and the one computed value that could leave the wire's bounds, the deadline, is still refused."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, Field

from sosa import rules
from sosa.contracts import commands, envelope, outcomes
from sosa.contracts.local_times import local_time, supplier_zone
from sosa.contracts.outcomes import DecisionRecord
from sosa.contracts.requests import PriorityRequestDetails
from sosa.decisions import translate
from sosa.decisions.config import RulesConfig
from sosa.decisions.trusted import Trusted
from sosa.router.batch_state import RequestRecord
from sosa.router.outcome_outputs import OutcomeWriter
from sosa.rules import Supplier
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.unit.intake.builders import DOD_REGISTERED, decision
from tests.unit.rules.builders import INDIA_MOD, emergency, make_request

CONFIG = RulesConfig.load()


def submission(received_at: datetime) -> commands.SubmitRequest:
    return commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id="r-1",
        received_at=received_at,
        details=PriorityRequestDetails.model_validate(DPAS_REQUEST),
        registered=DOD_REGISTERED,
    )


def _cause(command: commands.SubmitRequest) -> envelope.Envelope:
    """The command as the router reads it: its envelope."""
    return envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=str(command.type),
        source="/test",
        subject=command.request_id,
        time=command.received_at,
    )


def test_a_constructed_decision_record_and_outcome_are_what_the_wire_validates() -> None:
    command = submission(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    decided = translate.decide_submission(command, CONFIG, rules.PostureBoard.peacetime())
    record = decided.record
    assert record.deadline is not None, "a DPAS clock was started"
    assert record.reminders
    assert DecisionRecord.model_validate(record.model_dump(mode="json")) == record

    writer = OutcomeWriter(config=CONFIG, source="/test")
    cause = _cause(command)
    request = RequestRecord(
        request_id="r-1", facts=decided.facts, sequence=0, details_json="{}", last_decision=record
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
    cause = _cause(command)
    request = RequestRecord(
        request_id="r-1",
        facts=decided.facts,
        sequence=0,
        details_json="{}",
        last_decision=decided.record,
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


UK_FIRM = Supplier(
    country="GB", code_of_conduct_signatory=True, timezone="Europe/London", party_id="uk-firm"
)
REQUESTS = {
    "DO": make_request(),
    "DX": make_request(rating="DX-A1"),
    "EP 24 h": make_request(emergency_preparedness=emergency(24)),
    "incomplete": make_request(authorized_signer=None),
    "via SOSA": make_request(requester=INDIA_MOD, rating="DX-A1"),
    "voluntary, non-ASCII": make_request(supplier=UK_FIRM, rating="DO-A1 \u00e9t\u00e9"),
    "no arrangement": make_request(supplier=replace(UK_FIRM, country="ZZ")),
}


def _old_record(decision: rules.Decision, zone: str) -> DecisionRecord:
    """`translate.to_record` as it was before `Trusted`: `model_construct` of the same values."""
    named = supplier_zone({"supplier": {"timezone": zone}})
    return DecisionRecord.model_construct(
        outcome=str(decision.outcome),
        findings=[
            outcomes.Finding.model_construct(
                rule_id=str(f.rule_id), citation=f.citation, reason=f.reason, blocking=f.blocking
            )
            for f in decision.findings
        ],
        rating=str(decision.rating) if decision.rating else None,
        required_delivery_dates=list(decision.required_delivery_dates),
        clock=str(decision.clock) if decision.clock else None,
        clock_started_at=decision.clock_started_at,
        deadline=decision.deadline,
        deadline_local=local_time(decision.deadline, named),
        supplier_timezone=named,
        reminders=list(decision.reminders),
        early_escalation_at=decision.early_escalation_at,
        awaiting=str(decision.awaiting) if decision.awaiting else None,
        partner_country=decision.partner_country,
        offered_date=decision.offered_date,
        offered_quantity=str(decision.offered_quantity) if decision.offered_quantity else None,
        late=decision.late,
        ruleset_version=decision.ruleset_version,
    )


@pytest.mark.parametrize("name", REQUESTS)
def test_trusted_models_are_model_construct_s_byte_for_byte(name: str) -> None:
    """The decision record, the parties and the outcome event built by `Trusted` equal those
    `model_construct` builds from the same values, and the outcome's record (value and headers)
    is the same bytes, for requests of every path (a refusal's and a reminder's too)."""
    request = REQUESTS[name]
    decision = rules.decide_submission(request, postures=rules.PostureBoard.peacetime())
    facts = rules.RequestFacts.from_submission(request, decision)
    zone = facts.supplier.timezone
    new, old = translate.to_record(decision, zone=zone), _old_record(decision, zone)
    assert new == old
    assert new.model_fields_set == old.model_fields_set
    assert new.model_dump_json() == old.model_dump_json()
    assert DecisionRecord.model_validate_json(new.model_dump_json()) == old
    parties = translate.parties(facts, CONFIG)
    assert (
        parties.model_dump_json()
        == outcomes.Parties.model_construct(**parties.model_dump()).model_dump_json()
    )

    writer = OutcomeWriter(config=CONFIG, source="/test")
    command = submission(request.received_at)
    cause = _cause(command)
    record = RequestRecord(
        request_id=request.request_id,
        facts=facts,
        sequence=2,
        details_json="{}",
        last_decision=new,
    )
    decided = translate.Decided(decision=decision, facts=facts, record=new)
    tick = commands.ClockTick(
        command_id="tick-1",
        request_id=request.request_id,
        received_at=request.received_at,
        timer="reminder",
        due_at=request.received_at,
    )
    events = [
        writer.transition(
            record, decided, previous=rules.RequestStatus.RECEIVED, cause=cause, now=cause.time
        ),
        writer.refusal(record, decided, command, cause=cause, now=cause.time),
        writer.reminder(record, tick, cause=cause, now=cause.time),
    ]
    for event in events:
        values = {k: getattr(event, k) for k in type(event).model_fields}
        old_event = type(event).model_construct(**{**values, "decision": old})
        assert event == old_event
        assert event.model_dump_json() == old_event.model_dump_json()
        [new_output] = writer.outputs([event], cause=cause, now=cause.time)
        [old_output] = writer.outputs([old_event], cause=cause, now=cause.time)
        assert new_output == old_output, "the same record, value and headers, byte for byte"
        read = envelope.from_kafka(new_output.value, list(new_output.headers))
        assert outcomes.parse_outcome(read.type, read.data) == old_event


class _Aliased(BaseModel):
    name: str = Field(alias="Name")


class _Mutable(BaseModel):
    names: list[str] = []


def test_trusted_refuses_what_model_construct_would_build_otherwise() -> None:
    """An alias, or a mutable default (which `model_construct` copies for each instance): not
    for `Trusted`. A required field missing is refused."""
    with pytest.raises(TypeError, match="model_construct"):
        Trusted(_Aliased)
    with pytest.raises(TypeError, match="model_construct"):
        Trusted(_Mutable)
    with pytest.raises(TypeError, match="needs requester, supplier"):
        Trusted(outcomes.Parties)()
    made = Trusted(DecisionRecord)(outcome="accepted", ruleset_version="v1")
    assert made == DecisionRecord.model_construct(outcome="accepted", ruleset_version="v1")
    other = Trusted(DecisionRecord)(outcome="accepted", ruleset_version="v1")
    assert made.findings == []
    assert made.findings is not other.findings, "a default factory is called for each instance"
