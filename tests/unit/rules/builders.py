"""Small builders for the rules tests: a valid request, and facts at each stage of its life."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sosa.rules import (
    Authorization,
    Decision,
    Determination,
    EmergencyPreparedness,
    PriorityRequest,
    Requester,
    RequesterKind,
    RequestFacts,
    Supplier,
    decide_authorization,
    decide_determination,
    decide_submission,
)

CERTIFICATION = (
    "This is a rated order certified for national defense use and you are required to follow "
    "all the provisions of the Defense Priorities and Allocations System regulation (15 CFR 700)."
)
FAR_52_211_15 = (
    "This is a rated order certified for national defense, emergency preparedness, and energy "
    "program use, and the Contractor shall follow all the requirements of the Defense Priorities "
    "and Allocations System regulation (15 CFR 700)."
)
EP_STATEMENT = (
    "This rated order is placed for the purpose of emergency preparedness. It must be accepted "
    "or rejected within {hours} hours after receipt of the order."
)

DOD = Requester(kind=RequesterKind.US_DOD, country="US", party_id="dod-navsea", registered=True)
INDIA_MOD = Requester(
    kind=RequesterKind.PARTNER_MINISTRY, country="IN", party_id="in-mod-dga", registered=True
)
US_FIRM = Supplier(
    country="US", code_of_conduct_signatory=None, timezone="America/New_York", party_id="acme-us"
)
INDIAN_FIRM = Supplier(
    country="IN", code_of_conduct_signatory=True, timezone="Asia/Kolkata", party_id="bharat-co"
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC instant: utc(2026, 6, 26, 15) is 26 June 2026 15:00 UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_request(**overrides: Any) -> PriorityRequest:
    """A complete, valid DX rated order from DoD to a US firm, received Fri 26 June 2026."""
    request = PriorityRequest(
        request_id="req-1",
        requester=DOD,
        supplier=US_FIRM,
        rating="DX-A2",
        required_delivery_dates=("2026-09-01",),
        authorized_signer="Jane Doe, Contracting Officer",
        certification_statement=CERTIFICATION,
        received_at=utc(2026, 6, 26, 15),
    )
    return replace(request, **overrides)


def emergency(hours: int | None = 24, hazard: str = "occurred", **kw: Any) -> EmergencyPreparedness:
    """An emergency-preparedness element whose statement states `hours`."""
    statement = kw.pop("statement", EP_STATEMENT.format(hours=hours if hours is not None else 24))
    return EmergencyPreparedness(hours=hours, hazard=hazard, statement=statement)


def submitted(request: PriorityRequest | None = None) -> tuple[RequestFacts, Decision]:
    """Facts and decision right after submission."""
    request = request or make_request()
    decision = decide_submission(request)
    return RequestFacts.from_submission(request, decision), decision


def routed(request: PriorityRequest | None = None) -> RequestFacts:
    """Facts of a request routed to its supplier (DPAS or voluntary)."""
    return submitted(request)[0]


def partner_routed(rating: str = "DO-G2", at: datetime | None = None) -> RequestFacts:
    """India's request to a US firm, determined by DoD and authorized by Commerce."""
    facts = routed(make_request(requester=INDIA_MOD, rating=None))
    now = at or utc(2026, 7, 1, 12)
    determined = decide_determination(
        facts, Determination(approved=True, authority_party_id="dod-ibp"), now=now
    )
    facts = facts.updated(determined)
    authorized = decide_authorization(
        facts, Authorization(authorized=True, authority_party_id="doc-bis", rating=rating), now=now
    )
    return facts.updated(authorized)
