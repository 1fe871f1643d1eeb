"""What a priority-support request says: the body an upstream procurement system posts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.instants import SANE_YEARS
from sosa.contracts.ratings import RatingText

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2)]
"""ISO 3166-1 alpha-2, upper case (US, IN, GB, ...)."""

PartyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
"""Identifier of a party (a tenant of the exchange)."""

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_delivery_date(text: str) -> str:
    """`text` itself when it is a calendar date written YYYY-MM-DD within SANE_YEARS; else
    ValueError saying what a delivery date is (15 CFR 700.12(a)(2): a specific date)."""
    try:
        parsed = date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:  # 2027-02-30
        parsed = None
    if parsed is None:
        raise ValueError(
            f"{text!r} is not a delivery date: give a specific calendar date as YYYY-MM-DD, "
            "e.g. 2027-03-01 ('ASAP' or 'immediately' is none: 15 CFR 700.12(a)(2))"
        )
    if parsed.year not in SANE_YEARS:
        raise ValueError(f"year {parsed.year} is outside {SANE_YEARS[0]}-{SANE_YEARS[-1]}")
    return text


DeliveryDate = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, strip_whitespace=True),
    AfterValidator(check_delivery_date),
]
"""A required delivery date, YYYY-MM-DD: `03/01/2027` (which day?) and `ASAP` are 422s naming the
field where they enter; whether the date can be met stays the router's to say."""


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

    Values are checked for syntax where they enter (a rating is DO or DX plus a program symbol,
    a delivery date a calendar date written YYYY-MM-DD); whether they satisfy 15 CFR 700.12 (a
    program symbol Schedule I lists, a date that can be met) is decided by the router's rules,
    which cite the paragraph in their answer.
    """

    requester: Requester
    supplier: Supplier
    contract_number: ShortText | None = None
    rating: RatingText | None = None
    items: Annotated[list[LineItem], Field(min_length=1, max_length=200)]
    required_delivery_dates: Annotated[list[DeliveryDate], Field(min_length=1, max_length=50)]
    authorized_signer: ShortText | None = None
    certification_statement: LongText | None = None
    emergency_preparedness: EmergencyPreparedness | None = None
    notes: LongText | None = None
