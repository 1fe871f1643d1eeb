"""Wire contracts into the vocabulary of `sosa.rules`, and rule decisions back onto the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pydantic import ValidationError

from sosa import rules
from sosa.contracts import commands
from sosa.contracts.instants import check_instant
from sosa.contracts.local_times import local_time, supplier_zone
from sosa.contracts.outcomes import DecisionRecord, Finding, Parties
from sosa.contracts.requests import DEFAULT_SUPPLIER_TIMEZONE
from sosa.contracts.states import RequestState, RoutePath
from sosa.decisions.config import RulesConfig
from sosa.decisions.trusted import Trusted


@dataclass(frozen=True, slots=True)
class Decided:
    """A rules decision in wire terms, with the request's facts after it."""

    decision: rules.Decision
    facts: rules.RequestFacts
    record: DecisionRecord

    @property
    def refused(self) -> bool:
        return self.decision.outcome is rules.Outcome.REFUSED

    @property
    def state(self) -> RequestState:
        return RequestState(str(self.facts.status))

    @property
    def path(self) -> RoutePath:
        return RoutePath(str(self.facts.path))


class IncompleteCommandError(ValueError):
    """A submit command without a party fact intake always fills (a command no intake made)."""


def to_rules_request(command: commands.SubmitRequest) -> rules.PriorityRequest:
    """The rules' request. The requester counts as registered only when the command carries the
    registry's facts and its details agree with them (intake fills and checks both)."""
    details = command.details
    emergency = details.emergency_preparedness
    stated, supplier = details.requester, details.supplier
    if stated.kind is None or stated.country is None or supplier.country is None:
        raise IncompleteCommandError(
            f"submit command {command.command_id} lacks the requester's kind or country or the "
            "supplier's country"
        )
    registered = command.registered.requester if command.registered else None
    return rules.PriorityRequest(
        request_id=command.request_id,
        requester=rules.Requester(
            kind=rules.RequesterKind(stated.kind.value),
            country=stated.country,
            party_id=stated.party_id,
            registered=registered is not None
            and str(registered.kind) == stated.kind.value
            and registered.country == stated.country,
        ),
        supplier=rules.Supplier(
            country=supplier.country,
            code_of_conduct_signatory=supplier.code_of_conduct_signatory,
            timezone=supplier.timezone or DEFAULT_SUPPLIER_TIMEZONE,
            party_id=supplier.party_id,
        ),
        rating=details.rating,
        required_delivery_dates=tuple(details.required_delivery_dates),
        authorized_signer=details.authorized_signer,
        certification_statement=details.certification_statement,
        received_at=command.received_at,
        emergency_preparedness=None
        if emergency is None
        else rules.EmergencyPreparedness(
            hours=emergency.hours, hazard=emergency.hazard, statement=emergency.statement
        ),
    )


def decide_submission(
    command: commands.SubmitRequest,
    config: RulesConfig,
    postures: rules.PostureBoard | None = None,
) -> Decided:
    """Ask the rules where a new request goes and what it must satisfy (under `postures`: the
    posture in force names itself and sets sosa's own targets)."""
    request = to_rules_request(command)
    decision = rules.decide_submission(
        request, registry=config.registry, calendar=config.calendar, postures=postures
    )
    facts = rules.RequestFacts.from_submission(request, decision)
    return Decided(
        decision=decision, facts=facts, record=to_record(decision, zone=facts.supplier.timezone)
    )


def parties(facts: rules.RequestFacts, config: RulesConfig) -> Parties:
    """Everyone involved in a request now, including the authority whose decision is pending
    (built from the router's own facts, so not validated again: `to_record`, `trusted`)."""
    pending = {
        rules.RequestStatus.AWAITING_DETERMINATION: config.determination_party,
        rules.RequestStatus.AWAITING_AUTHORIZATION: config.authorization_party,
    }.get(facts.status)
    return _PARTIES(
        requester=facts.requester.party_id,
        supplier=facts.supplier.party_id,
        liaison=facts.liaison,
        pending_authority=pending,
    )


def to_record(decision: rules.Decision, *, zone: str | None = None) -> DecisionRecord:
    """A rules decision as the wire carries it; `zone`, the supplier's, gives its deadline as
    the supplier reads it (`deadline_local`) beside the UTC one.

    Built without validating it again (`sosa.decisions.trusted`, as `model_construct` would
    build it): every value comes from the rules, which took them from commands validated where
    they entered (a record read from Kafka is always validated). The one value the rules
    compute that could leave the wire's bounds is the deadline, the latest instant of a
    decision (reminders and early escalation come before it): it is checked here as the
    wire's `Instant` would check it, so a request received at the end of year 2200 is refused
    here rather than by the outcome's readers."""
    named = supplier_zone({"supplier": {"timezone": zone}})
    if decision.deadline is not None:
        _check_deadline(decision.deadline)
    return _DECISION_RECORD(
        outcome=str(decision.outcome),
        findings=[_finding(f) for f in decision.findings],
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


def _check_deadline(deadline: datetime) -> None:
    """The refusal validating the record would give (a ValidationError naming `deadline`, which
    the dry run turns into a 422 naming the input at fault), without validating the rest."""
    try:
        check_instant(deadline)
    except ValueError as exc:
        raise ValidationError.from_exception_data(
            "DecisionRecord",
            [
                {
                    "type": "value_error",
                    "loc": ("deadline",),
                    "input": deadline,
                    "ctx": {"error": exc},
                }
            ],
        ) from exc


@lru_cache(maxsize=4096)
def _finding(found: rules.Finding) -> Finding:
    """A finding on the wire, made once per distinct finding (both are immutable): a rule set's
    findings are few texts repeated, and each reason is bounded by the wire's own bounds (a
    rating, a date, a party id), so the cache holds a stream's findings in a bounded space."""
    return _FINDING(
        rule_id=str(found.rule_id),
        citation=found.citation,
        reason=found.reason,
        blocking=found.blocking,
    )


_PARTIES = Trusted(Parties)
_DECISION_RECORD = Trusted(DecisionRecord)
_FINDING = Trusted(Finding)
