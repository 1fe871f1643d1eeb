"""HTTP shapes of subscriptions: webhook endpoints and e-mail recipients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.requests import PartyId
from sosa.notifier.event_types import DESCRIPTIONS, EventType

EventTypes = Annotated[
    list[EventType],
    Field(
        max_length=50,
        json_schema_extra={"x-enum-descriptions": {t.value: d for t, d in DESCRIPTIONS.items()}},
    ),
]
Description = Annotated[str, StringConstraints(max_length=500)]
Mode = Literal["all", "fallback"]
Address = Annotated[
    str, StringConstraints(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", max_length=320)
]

_TYPES_DOC = "Only these event types (e.g. `request.routed`, `request.*`); all when absent."
_MODE_DOC = (
    "`all`: every message the party is told. `fallback`: only messages that escalation sends "
    "because the party's usual channels did not deliver in time (or when it has no other)."
)


class EndpointIn(BaseModel):
    """A webhook endpoint a party wants its notifications sent to."""

    model_config = ConfigDict(extra="forbid")

    party_id: PartyId | None = Field(
        default=None, description="Defaults to the calling party; operators may name any."
    )
    url: AnyHttpUrl
    event_types: EventTypes | None = Field(default=None, description=_TYPES_DOC)
    description: Description | None = None
    mode: Mode = Field(default="all", description=_MODE_DOC)
    max_in_flight: int | None = Field(
        default=None, ge=1, le=64, description="Attempts in flight at once (default: setting)."
    )


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    mode: Mode | None = None
    max_in_flight: int | None = Field(default=None, ge=1, le=64)
    enabled: bool | None = Field(
        default=None, description="true re-enables a disabled endpoint and clears its streak."
    )


class EndpointOut(BaseModel):
    endpoint_id: str
    party_id: str
    url: str
    event_types: list[str] | None
    description: str | None
    mode: str
    max_in_flight: int | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: AwareDatetime | None
    failure_streak: int
    failing_since: AwareDatetime | None
    created_at: AwareDatetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (`whsec_…`); shown only in this answer.")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_period_s: float | None = Field(
        default=None,
        ge=0,
        le=7 * 86400,
        description="How long the old secret keeps signing (default: SOSA_SECRET_GRACE_S).",
    )


class Rotated(BaseModel):
    endpoint_id: str
    secret: str = Field(description="The new signing secret; shown only in this answer.")
    previous_secret_expires_at: AwareDatetime


class RecipientIn(BaseModel):
    """An e-mail address a party wants notifications (or only escalations) sent to."""

    model_config = ConfigDict(extra="forbid")

    party_id: PartyId | None = None
    address: Address
    event_types: EventTypes | None = Field(default=None, description=_TYPES_DOC)
    description: Description | None = None
    mode: Mode = Field(default="fallback", description=_MODE_DOC)


class RecipientPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: Address | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    mode: Mode | None = None
    enabled: bool | None = None


class RecipientOut(BaseModel):
    recipient_id: str
    party_id: str
    address: str
    event_types: list[str] | None
    description: str | None
    mode: str
    enabled: bool
    created_at: AwareDatetime
