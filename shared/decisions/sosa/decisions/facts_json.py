"""A request's rule facts as JSON, kept by the router in its database between commands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sosa.rules import (
    Hazard,
    Path,
    Rating,
    Requester,
    RequesterKind,
    RequestFacts,
    RequestStatus,
    Supplier,
)


def dump(facts: RequestFacts) -> dict[str, Any]:
    return {
        "request_id": facts.request_id,
        "status": str(facts.status),
        "path": str(facts.path),
        "requester": {
            "kind": str(facts.requester.kind),
            "country": facts.requester.country,
            "party_id": facts.requester.party_id,
            "registered": facts.requester.registered,
        },
        "supplier": {
            "country": facts.supplier.country,
            "code_of_conduct_signatory": facts.supplier.code_of_conduct_signatory,
            "timezone": facts.supplier.timezone,
            "party_id": facts.supplier.party_id,
        },
        "rating": str(facts.rating) if facts.rating else None,
        "required_delivery_dates": [d.isoformat() for d in facts.required_delivery_dates],
        "clock_started_at": _iso(facts.clock_started_at),
        "deadline": _iso(facts.deadline),
        "emergency_hours": facts.emergency_hours,
        "hazard": str(facts.hazard) if facts.hazard else None,
        "partner_country": facts.partner_country,
        "liaison": facts.liaison,
    }


def load(raw: dict[str, Any]) -> RequestFacts:
    requester, supplier = raw["requester"], raw["supplier"]
    return RequestFacts(
        request_id=raw["request_id"],
        status=RequestStatus(raw["status"]),
        path=Path(raw["path"]),
        requester=Requester(
            kind=RequesterKind(requester["kind"]),
            country=requester["country"],
            party_id=requester["party_id"],
            registered=requester.get("registered", False),
        ),
        supplier=Supplier(
            country=supplier["country"],
            code_of_conduct_signatory=supplier["code_of_conduct_signatory"],
            timezone=supplier["timezone"],
            party_id=supplier["party_id"],
        ),
        rating=Rating.parse(raw["rating"]) if raw["rating"] else None,
        required_delivery_dates=tuple(
            date.fromisoformat(d) for d in raw["required_delivery_dates"]
        ),
        clock_started_at=_instant(raw["clock_started_at"]),
        deadline=_instant(raw["deadline"]),
        emergency_hours=raw["emergency_hours"],
        hazard=Hazard(raw["hazard"]) if raw["hazard"] else None,
        partner_country=raw["partner_country"],
        liaison=raw["liaison"],
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
