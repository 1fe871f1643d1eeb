"""Messages on `sosa.deliveries.v1`: the result of every notification attempt, for operators.

One record per attempt, keyed by request id (or, for an alert about an endpoint, the delivery
id), so that one request's notifications stay in order with its outcomes.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sosa.contracts.instants import Instant

ATTEMPTED: Final = "sosa.delivery.attempted.v1"


class DeliveryAttempted(BaseModel):
    """One attempt to tell one party one thing, over one channel, and how it went."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["sosa.delivery.attempted.v1"] = ATTEMPTED
    attempt_id: str = Field(description="Also the CloudEvents id of this record.")
    delivery_id: str = Field(description="Stable per (message, channel).")
    message_id: str = Field(description="The `webhook-id`: the same on every attempt and channel.")
    event_type: str = Field(description="The webhook event type, e.g. `request.routed`.")
    request_id: str | None
    party_id: str
    role: str = Field(description="requester, supplier, authority, partner_liaison or operator.")
    fields: list[str] = Field(
        default_factory=list, description="Dotted names of the fields the party was sent."
    )
    channel: Literal["webhook", "email"]
    target_id: str = Field(description="The endpoint id or the e-mail recipient id.")
    target: str = Field(description="Where it went: the URL without its query, or the address.")
    attempt: int = Field(ge=1, description="1 for the first attempt of this delivery.")
    attempted_at: Instant
    outcome: Literal["delivered", "retrying", "failed"]
    status_code: int | None = Field(description="HTTP status, or SMTP reply code for e-mail.")
    latency_ms: int
    error: str | None = None
    response_excerpt: str | None = None
    next_attempt_at: Instant | None = None
    escalation_of: str | None = Field(
        default=None, description="The delivery this one escalates, when it is an escalation."
    )
