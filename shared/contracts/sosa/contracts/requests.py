"""What a priority-support request says: the body an upstream procurement system posts."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.ratings import RatingText

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2)]
"""ISO 3166-1 alpha-2, upper case (US, IN, GB, ...)."""

PartyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
"""Identifier of a party (a tenant of the exchange)."""

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


class Strict(BaseModel):
    """Base for request bodies: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RequesterKind(StrEnum):
    """Who asks: a US DoD component or a SOSA partner's defence ministry."""

    US_DOD = "us_dod"
    PARTNER_MINISTRY = "partner_ministry"


DEFAULT_SUPPLIER_TIMEZONE = "America/New_York"
"""The supplier's zone when neither the body nor the party registry gives one."""

_FROM_REGISTRY = (
    " Optional: intake fills it from the party registry (set by operators); when given it must "
    "match the registry, or the request is refused (403 or 422 naming the field)."
)


class Requester(Strict):
    party_id: PartyId
    kind: RequesterKind | None = Field(
        default=None, description="What the requester is." + _FROM_REGISTRY
    )
    country: CountryCode | None = Field(
        default=None, description="The requester's country (US for DoD)." + _FROM_REGISTRY
    )
    name: ShortText | None = None


class Supplier(Strict):
    party_id: PartyId
    name: ShortText
    country: CountryCode | None = Field(
        default=None,
        description="The supplier's country." + _FROM_REGISTRY + " Required when the supplier "
        "has no registered country.",
    )
    code_of_conduct_signatory: bool | None = Field(
        default=None,
        description="Whether a partner-country firm signed its Industrial Code of Conduct."
        + _FROM_REGISTRY,
    )
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="IANA time zone of the supplier; the day of receipt is taken there."
        + _FROM_REGISTRY
        + f" Neither given nor registered: {DEFAULT_SUPPLIER_TIMEZONE}.",
    )


class LineItem(Strict):
    description: ShortText
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=16)] = "EA"
    nsn: Annotated[str, StringConstraints(pattern=r"^\d{4}-?\d{2}-?\d{3}-?\d{4}$")] | None = None


class EmergencyPreparedness(Strict):
    """The 15 CFR 700.12(b) statement of an emergency-preparedness rated order."""

    hours: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    hazard: Literal["occurred", "imminent"]
    statement: LongText | None = None


class PriorityRequestDetails(Strict):
    """The content of a priority-support request, as the requester states it.

    Values are checked for syntax only; whether they satisfy 15 CFR 700.12 (for example that a
    delivery date is a real date and not "ASAP") is decided by the router's rules, which cite
    the paragraph in their answer.
    """

    requester: Requester
    supplier: Supplier
    contract_number: ShortText | None = None
    rating: RatingText | None = None
    items: Annotated[list[LineItem], Field(min_length=1, max_length=200)]
    required_delivery_dates: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]],
        Field(min_length=1, max_length=50),
    ]
    authorized_signer: ShortText | None = None
    certification_statement: LongText | None = None
    emergency_preparedness: EmergencyPreparedness | None = None
    notes: LongText | None = None
