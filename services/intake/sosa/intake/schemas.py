"""HTTP response shapes of intake (request bodies are the shared contract models)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel

from sosa.contracts.outcomes import DecisionRecord
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState, RoutePath


class SubmissionAccepted(BaseModel):
    """202 answer: the request is durably stored and will be routed."""

    request_id: str
    command_id: str
    state: RequestState
    received_at: AwareDatetime
    links: dict[str, str]


class TimelineEntry(BaseModel):
    sequence: int
    state: RequestState
    previous_state: RequestState | None
    occurred_at: AwareDatetime
    decision: DecisionRecord


class RequestView(BaseModel):
    """A request as intake's read model knows it: current state plus every outcome so far."""

    request_id: str
    state: RequestState
    path: RoutePath | None
    rating: str | None
    requester: str
    supplier: str
    received_at: AwareDatetime
    updated_at: AwareDatetime
    details: PriorityRequestDetails
    decision: DecisionRecord | None
    timeline: list[TimelineEntry]
