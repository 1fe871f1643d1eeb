"""Commands judged after submission: responses, determinations, authorizations, amendments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ResponseKind(StrEnum):
    """A supplier's answer. DPAS: accept or reject. Voluntary: accept, partial, decline."""

    ACCEPT = "accept"
    REJECT = "reject"
    PARTIAL = "partial"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplierResponse:
    """A supplier's answer to a routed request."""

    kind: ResponseKind
    reason: str | None = None
    """For REJECT: a 15 CFR 700.13 reason code (MR_B1_CANNOT_MEET_DATE, ..., or just B1, C2)."""
    earliest_delivery_date: date | None = None
    """For a (b)(1)-(b)(4) rejection: the earliest date the supplier can deliver (counter-offer)."""
    explanation: str | None = None
    """Free text: the reasons of a rejection, or why a partner firm declines."""
    accepted_quantity: Decimal | None = None
    """For PARTIAL: the quantity the partner firm can supply."""
    offered_date: date | None = None
    """For PARTIAL: the date the partner firm can meet."""
    reasonable_effort: str | None = None
    """For a Code-of-Conduct signatory that declines: the efforts it made."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Determination:
    """DoD's program determination on a partner's request (approved or not)."""

    approved: bool
    authority_party_id: str
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorization:
    """Commerce's rating authorization on a partner's request, with the rating it authorizes."""

    authorized: bool
    authority_party_id: str
    rating: str | None = None
    note: str | None = None


class AmendmentKind(StrEnum):
    """What an amendment changes (15 CFR 700.16)."""

    SCHEDULE_CHANGE = "schedule_change"
    """(c) significantly alters the supplier's production or delivery schedule."""
    SHIPPING_DESTINATION = "shipping_destination"
    QUANTITY_REDUCTION = "quantity_reduction"
    QUANTITY_INCREASE_NEGLIGIBLE = "quantity_increase_negligible"
    MINOR_DESIGN_VARIATION = "minor_design_variation"
    AGREED_CHANGE = "agreed_change"
    RATING_CHANGE = "rating_change"
    CANCELLATION = "cancellation"


MINOR_CHANGES = frozenset(
    {
        AmendmentKind.SHIPPING_DESTINATION,
        AmendmentKind.QUANTITY_REDUCTION,
        AmendmentKind.QUANTITY_INCREASE_NEGLIGIBLE,
        AmendmentKind.MINOR_DESIGN_VARIATION,
        AmendmentKind.AGREED_CHANGE,
    }
)
"""15 CFR 700.16(d): amendments that are not a new rated order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Amendment:
    """A change to, or the cancellation of, a request, as issued (15 CFR 700.16)."""

    kind: AmendmentKind
    issued_by: str
    """Party id of the issuer: the party that placed the order, or Commerce."""
    by_commerce: bool = False
    """True for an official action of Commerce (15 CFR 700.16(a)(1))."""
    new_rating: str | None = None
    new_delivery_dates: tuple[str, ...] = ()
    production_started: bool | None = None
    note: str | None = None
