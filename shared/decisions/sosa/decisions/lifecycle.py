"""Commands after submission, decided by the rules against a request's current facts."""

from __future__ import annotations

from datetime import datetime

from sosa import rules
from sosa.contracts import commands
from sosa.decisions.config import RulesConfig
from sosa.decisions.translate import Decided, to_record


def decide_command(
    command: commands.Command,
    facts: rules.RequestFacts,
    config: RulesConfig,
    *,
    now: datetime,
    postures: rules.PostureBoard | None = None,
) -> Decided:
    """Judge a respond, amend, cancel, determine or authorize command; a refusal changes nothing.
    A clock started again (authorization, amendment) takes the posture in force (`postures`)."""
    decision = _decide(command, facts, config, now, postures)
    return Decided(
        decision=decision,
        facts=facts.updated(decision),
        record=to_record(decision, zone=facts.supplier.timezone),
    )


def decide_deadline(facts: rules.RequestFacts, *, now: datetime) -> Decided:
    """The response clock ran out: overdue if the supplier still has not answered."""
    decision = rules.decide_overdue(facts, now=now)
    return Decided(
        decision=decision,
        facts=facts.updated(decision),
        record=to_record(decision, zone=facts.supplier.timezone),
    )


def decide_early_escalation(
    facts: rules.RequestFacts, postures: rules.PostureBoard, *, now: datetime
) -> Decided:
    """A posture's escalation margin has come and the supplier has not answered yet."""
    posture = postures.for_partner(facts.partner_country)
    decision = rules.decide_early_escalation(facts, posture, now=now)
    return Decided(
        decision=decision,
        facts=facts.updated(decision),
        record=to_record(decision, zone=facts.supplier.timezone),
    )


def _decide(
    command: commands.Command,
    facts: rules.RequestFacts,
    config: RulesConfig,
    now: datetime,
    postures: rules.PostureBoard | None,
) -> rules.Decision:
    match command:
        case commands.RespondToRequest(response=r):
            return rules.decide_response(facts, to_response(r), now=now, actor=r.supplier_party_id)
        case commands.AmendRequest(amendment=a):
            return rules.decide_amendment(
                facts,
                to_amendment(a),
                now=now,
                calendar=config.calendar,
                registry=config.registry,
                postures=postures,
            )
        case commands.CancelRequest(cancellation=c):
            cancellation = rules.Amendment(
                kind=rules.AmendmentKind.CANCELLATION,
                issued_by=c.issued_by,
                by_commerce=c.by_commerce,
                note=c.reason,
            )
            return rules.decide_amendment(facts, cancellation, now=now, calendar=config.calendar)
        case commands.RecordDetermination(determination=d):
            determination = rules.Determination(
                approved=d.approved, authority_party_id=d.authority_party_id, note=_note(d)
            )
            return rules.decide_determination(
                facts, determination, now=now, entitled=config.determination_party
            )
        case commands.RecordAuthorization(authorization=a):
            authorization = rules.Authorization(
                authorized=a.authorized,
                authority_party_id=a.authority_party_id,
                rating=a.rating,
                note=_note(a),
            )
            return rules.decide_authorization(
                facts,
                authorization,
                now=now,
                calendar=config.calendar,
                registry=config.registry,
                entitled=config.authorization_party,
                postures=postures,
            )
    raise ValueError(f"no lifecycle rule for command {command.__class__.__name__}")


def to_response(r: commands.SupplierResponseDetails) -> rules.SupplierResponse:
    return rules.SupplierResponse(
        kind=rules.ResponseKind(r.kind),
        reason=r.reason,
        earliest_delivery_date=r.earliest_delivery_date,
        explanation=r.explanation,
        accepted_quantity=r.accepted_quantity,
        offered_date=r.offered_date,
        reasonable_effort=r.reasonable_effort,
    )


def to_amendment(a: commands.AmendmentDetails) -> rules.Amendment:
    return rules.Amendment(
        kind=rules.AmendmentKind(a.kind),
        issued_by=a.issued_by,
        by_commerce=a.by_commerce,
        new_rating=a.new_rating,
        new_delivery_dates=tuple(a.new_delivery_dates),
        production_started=a.production_started,
        note=a.note,
    )


def _note(
    details: commands.DeterminationDetails | commands.AuthorizationDetails,
) -> str:
    """The authority's reference number travels with its note into the findings."""
    note = f"reference {details.reference}"
    return f"{note}; {details.note}" if details.note else note
