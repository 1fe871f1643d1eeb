"""HTTP shapes of the notifier's API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.requests import PartyId

EventType = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*(\.\*)?$")]


class EndpointIn(BaseModel):
    """A webhook endpoint a party wants its notifications sent to."""

    model_config = ConfigDict(extra="forbid")

    party_id: PartyId
    url: AnyHttpUrl
    event_types: Annotated[list[EventType], Field(max_length=50)] | None = Field(
        default=None,
        description="Only these event types (e.g. `request.routed`, `request.*`); all when absent.",
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class EndpointOut(BaseModel):
    endpoint_id: str
    party_id: str
    url: str
    event_types: list[str] | None
    description: str | None
    enabled: bool
    created_at: AwareDatetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (`whsec_…`); shown only in this answer.")


class AttemptOut(BaseModel):
    attempted_at: AwareDatetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryOut(BaseModel):
    delivery_id: str
    event_id: str
    endpoint_id: str
    request_id: str
    party_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None
    attempt_log: list[AttemptOut]
