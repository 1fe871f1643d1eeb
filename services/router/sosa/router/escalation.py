"""Who must act when a response deadline passes unanswered, and the facts they need to act."""

from __future__ import annotations

from typing import Any

from sosa import rules

SPA_SUGGESTION = (
    "The supplier neither accepted nor rejected this rated order by its deadline (15 CFR "
    "700.13(d)). Raise it with the contract administration officer or ask for Special Priorities "
    "Assistance on Form BIS-999 (OMB 0694-0057; 15 CFR 700.50-700.53). The facts below fill the "
    "form; add the urgency of the need and the efforts made to resolve it (15 CFR 700.53)."
)
LIAISON_SUGGESTION = (
    "The partner firm has not answered by the partner's response target. The target is voluntary "
    "under the Code of Conduct: chase the firm through the liaison, government to government."
)

EARLY_SUGGESTION = (
    "No answer yet, and the deadline is near. Under the posture in force sosa escalates before "
    "the deadline: follow up with the supplier (through the liaison on the voluntary path) now. "
    "The request is not overdue and its deadline is unchanged."
)


def escalation_for(
    facts: rules.RequestFacts, details: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """(escalated_to, suggestion, facts) for an overdue request on its path."""
    if facts.path is rules.Path.VOLUNTARY:
        return "partner_liaison", LIAISON_SUGGESTION, {"liaison": facts.liaison, **_order(details)}
    return "requester", SPA_SUGGESTION, bis_999_facts(facts, details)


def bis_999_facts(facts: rules.RequestFacts, details: dict[str, Any]) -> dict[str, Any]:
    """What a Form BIS-999 request for Special Priorities Assistance asks for, as far as known."""
    requester = details.get("requester", {})
    supplier = details.get("supplier", {})
    return {
        "form": "BIS-999",
        "applicant": {"party_id": facts.requester.party_id, "name": requester.get("name")},
        "supplier": {
            "party_id": facts.supplier.party_id,
            "name": supplier.get("name"),
            "country": facts.supplier.country,
        },
        "rating": str(facts.rating) if facts.rating else None,
        **_order(details),
        "rated_order_received_at": _iso(facts.clock_started_at),
        "response_due_at": _iso(facts.deadline),
        "problem": "no acceptance or rejection by the response deadline (15 CFR 700.13(d))",
        "urgency_justification": None,
        "self_help_efforts": None,
    }


def _order(details: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract_number": details.get("contract_number"),
        "items": details.get("items", []),
        "required_delivery_dates": details.get("required_delivery_dates", []),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
