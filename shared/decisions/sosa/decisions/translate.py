"""The one place where wire contracts meet the rule vocabulary of `sosa.rules`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from sosa.contracts import commands
from sosa.contracts.outcomes import DecisionRecord, Finding, Parties
from sosa.contracts.states import RequestState, RoutePath
from sosa.rules import decision as rules_decision
from sosa.rules import priority_request as rules_request
from sosa.rules.partners import PartnerRegistry
from sosa.rules.submission import decide_submission as rules_decide_submission
from sosa.rules.working_days import WorkingCalendar

Outcome = rules_decision.Outcome
Authority = rules_decision.Authority

STATE_AFTER: Final[dict[Outcome, RequestState]] = {
    Outcome.DPAS_RATED_ORDER: RequestState.ROUTED,
    Outcome.VOLUNTARY_REQUEST: RequestState.ROUTED,
    Outcome.AWAITING_DETERMINATION: RequestState.AWAITING_DETERMINATION,
    Outcome.AWAITING_AUTHORIZATION: RequestState.AWAITING_AUTHORIZATION,
    Outcome.REJECTED: RequestState.REJECTED,
}


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """The data the rules are configured with, and which parties act as the US authorities."""

    registry: PartnerRegistry
    calendar: WorkingCalendar
    authority_parties: dict[Authority, str]

    @classmethod
    def load(
        cls,
        *,
        extra_closures: Sequence[str] = (),
        determination_party: str = "us-dod-ibp",
        authorization_party: str = "us-doc-bis",
    ) -> RulesConfig:
        return cls(
            registry=PartnerRegistry.default(),
            calendar=WorkingCalendar.us_federal(
                extra_closures=[date.fromisoformat(d) for d in extra_closures]
            ),
            authority_parties={
                Authority.DOD_PROGRAM_DETERMINATION: determination_party,
                Authority.COMMERCE_RATING_AUTHORIZATION: authorization_party,
            },
        )


@dataclass(frozen=True, slots=True)
class Decided:
    """A rules decision in wire terms: the next state, the path, the record and who is involved."""

    state: RequestState
    path: RoutePath
    record: DecisionRecord
    parties: Parties


def to_rules_request(command: commands.SubmitRequest) -> rules_request.PriorityRequest:
    details = command.details
    emergency = details.emergency_preparedness
    return rules_request.PriorityRequest(
        request_id=command.request_id,
        requester=rules_request.Requester(
            kind=rules_request.RequesterKind(details.requester.kind.value),
            country=details.requester.country,
            party_id=details.requester.party_id,
        ),
        supplier=rules_request.Supplier(
            country=details.supplier.country,
            code_of_conduct_signatory=details.supplier.code_of_conduct_signatory,
            timezone=details.supplier.timezone,
            party_id=details.supplier.party_id,
        ),
        rating=details.rating,
        required_delivery_dates=tuple(details.required_delivery_dates),
        authorized_signer=details.authorized_signer,
        certification_statement=details.certification_statement,
        received_at=command.received_at,
        emergency_preparedness=None
        if emergency is None
        else rules_request.EmergencyPreparedness(
            hours=emergency.hours, hazard=emergency.hazard, statement=emergency.statement
        ),
    )


def decide_submission(command: commands.SubmitRequest, config: RulesConfig) -> Decided:
    """Ask the rules where a new request goes and what it must satisfy."""
    decision = rules_decide_submission(
        to_rules_request(command), registry=config.registry, calendar=config.calendar
    )
    details = command.details
    return Decided(
        state=STATE_AFTER[decision.outcome],
        path=RoutePath(str(decision.path or RoutePath.NONE)),
        record=to_record(decision),
        parties=Parties(
            requester=details.requester.party_id,
            supplier=details.supplier.party_id,
            liaison=decision.liaison,
            pending_authority=config.authority_parties.get(decision.awaiting)
            if decision.awaiting
            else None,
        ),
    )


def to_record(decision: rules_decision.Decision) -> DecisionRecord:
    return DecisionRecord(
        outcome=str(decision.outcome),
        findings=[
            Finding(
                rule_id=str(f.rule_id), citation=f.citation, reason=f.reason, blocking=f.blocking
            )
            for f in decision.findings
        ],
        rating=str(decision.rating) if decision.rating else None,
        clock=str(decision.clock) if decision.clock else None,
        deadline=decision.deadline,
        reminders=list(decision.reminders),
        awaiting=str(decision.awaiting) if decision.awaiting else None,
        partner_country=decision.partner_country,
        ruleset_version=decision.ruleset_version,
    )
