"""Outcome events carried on `sosa.outcomes.v1`: everything that happens to a request.

Every event of one request carries the next `sequence` number, so a reader can order them and
skip what it has already seen. Only `RequestTransitioned` changes the request's state.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sosa.contracts.instants import CalendarDate, Instant
from sosa.contracts.states import RequestState, RoutePath

TRANSITIONED: Final = "sosa.outcome.transitioned.v1"
REFUSED: Final = "sosa.outcome.refused.v1"
REMINDED: Final = "sosa.outcome.reminded.v1"
ESCALATED: Final = "sosa.outcome.escalated.v1"


class Finding(BaseModel):
    """One rule that fired: its stable id, its citation and a reason a person can read."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rule_id: str
    citation: str
    reason: str
    blocking: bool = False


class DecisionRecord(BaseModel):
    """Why the router did what it did: outcome, rules fired, deadline and rule-set version."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    outcome: str
    findings: list[Finding] = Field(default_factory=list)
    rating: str | None = None
    required_delivery_dates: list[CalendarDate] = Field(default_factory=list)
    clock: str | None = Field(
        default=None, description="working_days, emergency_hours, voluntary_target"
    )
    clock_started_at: Instant | None = None
    deadline: Instant | None = None
    deadline_local: str | None = Field(
        default=None,
        description="The deadline as the supplier reads it: in its own time zone with the "
        "offset (e.g. 2026-12-28T23:59:59-05:00); `deadline` is the same instant in UTC.",
    )
    supplier_timezone: str | None = Field(
        default=None, description="The supplier's IANA time zone, where the deadline's day is."
    )
    reminders: list[Instant] = Field(default_factory=list)
    early_escalation_at: Instant | None = Field(
        default=None, description="Under a posture with an escalation margin: escalated then."
    )
    awaiting: str | None = Field(
        default=None, description="The authority whose decision is pending."
    )
    partner_country: str | None = None
    offered_date: CalendarDate | None = None
    offered_quantity: str | None = None
    late: bool = False
    ruleset_version: str


class Parties(BaseModel):
    """Who is involved in a request, so that each can be told what it needs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    requester: str
    supplier: str
    liaison: str | None = None
    pending_authority: str | None = None


class OutcomeEvent(BaseModel):
    """Fields every outcome event has."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str
    request_id: str
    sequence: int = Field(ge=1, description="Position of this event in the request's own history.")
    state: RequestState = Field(description="The request's state after this event.")
    path: RoutePath
    decision: DecisionRecord
    parties: Parties
    caused_by: str = Field(description="Id of the command that led to this event.")
    occurred_at: Instant


class RequestTransitioned(OutcomeEvent):
    """A request moved from one state to another, or its facts changed (an amendment)."""

    type: Literal["sosa.outcome.transitioned.v1"] = TRANSITIONED
    previous_state: RequestState | None


class CommandRefused(OutcomeEvent):
    """A command that does not fit the request was refused; nothing changed."""

    type: Literal["sosa.outcome.refused.v1"] = REFUSED
    command_type: str
    actor: str | None = None


class ResponseReminded(OutcomeEvent):
    """A reminder point of the response clock has come and the supplier has not answered."""

    type: Literal["sosa.outcome.reminded.v1"] = REMINDED
    due_at: Instant


class Escalated(OutcomeEvent):
    """The deadline passed without an answer: who must act now, and with which facts."""

    type: Literal["sosa.outcome.escalated.v1"] = ESCALATED
    escalated_to: Literal["requester", "partner_liaison"]
    early: bool = Field(
        default=False,
        description="Escalated before the deadline, by a posture's margin; not yet overdue.",
    )
    suggestion: str
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="On the DPAS path, the facts a Form BIS-999 request for Special Priorities "
        "Assistance needs (15 CFR 700.50-700.53).",
    )


AnyOutcome = Annotated[
    RequestTransitioned | CommandRefused | ResponseReminded | Escalated, Field(discriminator="type")
]

OUTCOME_TYPES: Final[dict[str, type[OutcomeEvent]]] = {
    TRANSITIONED: RequestTransitioned,
    REFUSED: CommandRefused,
    REMINDED: ResponseReminded,
    ESCALATED: Escalated,
}


def type_of(event: OutcomeEvent) -> str:
    """The CloudEvents type of an outcome event."""
    return next(name for name, model in OUTCOME_TYPES.items() if type(event) is model)


def parse_outcome(event_type: str, data: bytes) -> OutcomeEvent:
    """Build the outcome model named by a CloudEvents type from its JSON data."""
    try:
        model = OUTCOME_TYPES[event_type]
    except KeyError:
        raise ValueError(f"unknown outcome type {event_type!r}") from None
    return model.model_validate_json(data)
