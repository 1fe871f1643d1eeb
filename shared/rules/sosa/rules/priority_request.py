"""A priority-support request as it arrives: raw-ish values that the rules then validate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

US = "US"


class RequesterKind(StrEnum):
    """Who asks: a US DoD component or a SOSA partner's defence ministry."""

    US_DOD = "us_dod"
    PARTNER_MINISTRY = "partner_ministry"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requester:
    """The requesting authority."""

    kind: RequesterKind
    country: str
    """ISO 3166-1 alpha-2 (US for a DoD component)."""
    party_id: str
    registered: bool = False
    """True when `kind` and `country` are the exchange's party registry's (set by operators),
    not the request's own statement. A self-declared kind opens no path (15 CFR 700.18(a)(1):
    only a party authorized to place a rated order may place one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplier:
    """The firm asked for priority support."""

    country: str
    """ISO 3166-1 alpha-2."""
    code_of_conduct_signatory: bool | None
    """For a partner-country firm: signed its country's Code of Conduct (None: not stated)."""
    timezone: str
    """IANA zone; the day of receipt is taken there."""
    party_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyPreparedness:
    """The 15 CFR 700.12(b) statement of an emergency-preparedness rated order."""

    hours: int | None
    hazard: str
    """"occurred" or "imminent" (15 CFR 700.13(e)); validated by the rules."""
    statement: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityRequest:
    """A submitted request. Text fields are as sent; `sosa.rules` decides whether they are valid."""

    request_id: str
    requester: Requester
    supplier: Supplier
    rating: str | None
    required_delivery_dates: tuple[str, ...]
    authorized_signer: str | None
    certification_statement: str | None
    received_at: datetime
    """Aware instant the exchange received the request."""
    emergency_preparedness: EmergencyPreparedness | None = None
