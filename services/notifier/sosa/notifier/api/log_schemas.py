"""HTTP shapes of the delivery log."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sosa.contracts.instants import Instant
from sosa.infra.resource_ids import ResourceId


class AttemptOut(BaseModel):
    attempt_number: int
    attempted_at: AwareDatetime
    target: str | None
    status_code: int | None = Field(description="HTTP status, or the SMTP reply code.")
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryOut(BaseModel):
    delivery_id: str
    event_id: str = Field(description="The message id: the `webhook-id` header.")
    channel: str
    endpoint_id: str | None
    recipient_id: str | None
    request_id: str | None
    party_id: str
    role: str | None
    fields: list[str] | None = Field(description="Dotted names of the fields that were sent.")
    event_type: str
    status: str = Field(description="pending, delivered or failed.")
    attempts: int
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None
    last_error: str | None
    deadline: AwareDatetime | None
    escalate_at: AwareDatetime | None
    escalated_at: AwareDatetime | None
    escalated_from: str | None
    attempt_log: list[AttemptOut]


class RecoverIn(BaseModel):
    """Send again every failed delivery of a time window (like Svix's recover)."""

    model_config = ConfigDict(extra="forbid")

    since: Instant
    until: Instant | None = None
    endpoint_id: ResourceId | None = None
    recipient_id: ResourceId | None = None
    request_id: ResourceId | None = None


class Recovered(BaseModel):
    recovered: int
    delivery_ids: list[str]
