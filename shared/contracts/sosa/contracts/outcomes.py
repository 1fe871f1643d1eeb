"""Outcome events carried on `sosa.outcomes.v1`: one per state change of a request."""

from __future__ import annotations

from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sosa.contracts.states import RequestState, RoutePath

TRANSITIONED: Final = "sosa.outcome.transitioned.v1"


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
    clock: str | None = Field(
        default=None, description="working_days, emergency_hours, voluntary_target"
    )
    deadline: AwareDatetime | None = None
    reminders: list[AwareDatetime] = Field(default_factory=list)
    awaiting: str | None = Field(
        default=None, description="The authority whose decision is pending."
    )
    partner_country: str | None = None
    ruleset_version: str


class Parties(BaseModel):
    """Who is involved in a request, so that each can be told what it needs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    requester: str
    supplier: str
    liaison: str | None = None
    pending_authority: str | None = None


class RequestTransitioned(BaseModel):
    """A request moved from one state to another (or was routed for the first time)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = TRANSITIONED
    event_id: str
    request_id: str
    sequence: int = Field(ge=1, description="Position of this event in the request's own history.")
    state: RequestState
    previous_state: RequestState | None
    path: RoutePath
    decision: DecisionRecord
    parties: Parties
    caused_by: str = Field(description="Id of the command that led to this event.")
    occurred_at: AwareDatetime
