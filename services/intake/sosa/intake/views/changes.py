"""How one outcome event moves a request's view forward (pure: no I/O, no clock).

Events of one request arrive in order of `sequence`, but a batch can be delivered again after a
crash, so an event at or below the view's `last_sequence` changes nothing. Only a transition
changes state, path, decision, deadline and rating; the other kinds only join the timeline.

Every event also moves what the resilience figures read of the request's history
(`resilience_figures.with_history` defines it): the supplier's first answer and the clock it
stopped, whether the request ever missed its deadline, whether its supplier ever accepted it,
and the date each answer offered (`offer_delay`, kept as rows of their own).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from sosa.contracts import outcomes
from sosa.contracts.states import BEFORE_ROUTING, RATED_PATHS, RequestState
from sosa.intake.insights.resilience_figures import ACCEPTING, ANSWERED, OVERDUE, READ_STATES
from sosa.intake.views.ratings import StoredRating, stored_rating


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewFacts:
    """The columns of a view row that outcome events move forward."""

    state: str
    path: str | None
    rating: str | None
    rating_level: str | None
    decision: dict[str, Any] | None
    deadline: datetime | None
    required_delivery_date: date | None
    rated_at: datetime | None
    received_at: datetime
    last_sequence: int
    updated_at: datetime
    pending_authority: str | None = None
    partner_country: str | None = None
    first_answer: str | None = None
    answered_at: datetime | None = None
    answer_hours: float | None = None
    went_late: bool = False
    ever_accepted: bool = False

    def columns(self) -> dict[str, Any]:
        """The values to write back (received_at never changes)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "received_at"}


def advance(facts: ViewFacts, event: outcomes.OutcomeEvent) -> ViewFacts:
    """The view after `event`; unchanged when the view has already seen it."""
    if event.sequence <= facts.last_sequence:
        return facts
    moved = _answered(
        replace(facts, last_sequence=event.sequence, updated_at=event.occurred_at), event
    )
    if not isinstance(event, outcomes.RequestTransitioned):
        return moved
    decision = event.decision
    rating = (
        stored_rating(decision.rating)
        if decision.rating
        else StoredRating(text=facts.rating, level=facts.rating_level)
    )
    return replace(
        moved,
        pending_authority=event.parties.pending_authority,
        partner_country=decision.partner_country or "US",
        state=event.state,
        path=event.path,
        decision=decision.model_dump(mode="json"),
        deadline=decision.deadline,
        rating=rating.text,
        rating_level=rating.level,
        rated_at=_rated_at(facts, event, rating),
        required_delivery_date=min(
            decision.required_delivery_dates, default=facts.required_delivery_date
        ),
    )


def _rated_at(
    facts: ViewFacts, event: outcomes.RequestTransitioned, rating: StoredRating
) -> datetime | None:
    """When the order became a rated order at its current rating (the receipt that 15 CFR
    700.14(c)(1) breaks ties with). A request rated as submitted counts from its receipt; one
    rated later (Commerce's authorization), upgraded (700.16(b)) or rescheduled so that it is
    a new rated order (700.16(c)) counts from that change. A request not yet routed is no
    rated order yet (`BEFORE_ROUTING`)."""
    if rating.level is None or event.path not in RATED_PATHS or event.state in BEFORE_ROUTING:
        return None
    if facts.rated_at is None:
        rated_on_receipt = event.previous_state == RequestState.RECEIVED
        return facts.received_at if rated_on_receipt else event.occurred_at
    if rating.text != facts.rating or _clock_restarted(facts.decision, event.decision):
        return event.occurred_at
    return facts.rated_at


def _clock_restarted(before: dict[str, Any] | None, after: outcomes.DecisionRecord) -> bool:
    started = (before or {}).get("clock_started_at")
    if after.clock_started_at is None or started is None:
        return False
    return after.clock_started_at != datetime.fromisoformat(started)


def _answered(facts: ViewFacts, event: outcomes.OutcomeEvent) -> ViewFacts:
    """What one event of the history says for the figures, as `with_history` reads its steps:
    only events whose state is an answer or overdue count, of any kind."""
    if event.state not in READ_STATES:
        return facts
    late = facts.went_late or event.state == OVERDUE or event.decision.late
    accepted = facts.ever_accepted or event.state in ACCEPTING
    if event.state not in ANSWERED or facts.first_answer is not None:
        return replace(facts, went_late=late, ever_accepted=accepted)
    started = event.decision.clock_started_at
    return replace(
        facts,
        went_late=late,
        ever_accepted=accepted,
        first_answer=str(event.state),
        answered_at=event.occurred_at,
        answer_hours=(event.occurred_at - started).total_seconds() / 3600 if started else None,
    )


def offer_delay(event: outcomes.OutcomeEvent) -> int | None:
    """Days between the date an answer offered and the earliest date required when it was
    given (`resilience_figures.Offer`); None for an event that is no answer offering a date."""
    decision = event.decision
    if event.state not in ANSWERED or decision.offered_date is None:
        return None
    if not decision.required_delivery_dates:
        return None
    return (decision.offered_date - min(decision.required_delivery_dates)).days
