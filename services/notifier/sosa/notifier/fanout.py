"""Who hears about an outcome, in which role, and under which event type (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from sosa.contracts import involvement, outcomes
from sosa.contracts.involvement import Relation
from sosa.contracts.outcomes import OutcomeEvent
from sosa.notifier.roles import Role

_ROLE_OF: Final[dict[Relation, Role]] = {
    Relation.REQUESTER: "requester",
    Relation.SUPPLIER: "supplier",
    Relation.LIAISON: "partner_liaison",
    Relation.AUTHORITY: "authority",
}
"""The role in which a party involved in a request (`sosa.contracts.involvement`) hears of it."""


def event_type(event: OutcomeEvent) -> str:
    """Webhook event type, dot-hierarchical per Standard Webhooks.

    A transition is `request.<new state>`; the other outcomes are `request.command_refused`,
    `request.reminder` and `request.escalated`.
    """
    if isinstance(event, outcomes.RequestTransitioned):
        return f"request.{event.state}"
    return _OTHER_TYPES[type(event)]


_OTHER_TYPES: dict[type[OutcomeEvent], str] = {
    outcomes.CommandRefused: "request.command_refused",
    outcomes.ResponseReminded: "request.reminder",
    outcomes.Escalated: "request.escalated",
}


def recipients(event: OutcomeEvent, operators: Iterable[str] = ()) -> dict[str, Role]:
    """Each party that hears about `event`, with the role in which it hears.

    Refusals go to the party whose command was refused; reminders to everyone who can make the
    supplier answer; escalations to whoever must act now (never to the silent supplier).
    Operators hear everything, in the operator role.
    """
    involved = _involved(event)
    if isinstance(event, outcomes.CommandRefused):
        found = {p: r for p, r in involved.items() if p == event.actor}
        found = found or {event.parties.requester: "requester"}
    elif isinstance(event, outcomes.Escalated):
        found = {p: r for p, r in involved.items() if r in {"requester", "partner_liaison"}}
    else:
        found = involved
    found.update(dict.fromkeys(operators, "operator"))
    return found


def _involved(event: OutcomeEvent) -> dict[str, Role]:
    """Who `event` concerns (`involvement.involved`: the supplier only from routing on), each
    in the first role it is named in."""
    found: dict[str, Role] = {}
    for party, relation in involvement.involved(event):
        found.setdefault(party, _ROLE_OF[relation])
    return found


def wants(subscribed_types: list[str] | None, type_: str) -> bool:
    """An endpoint with no filter wants everything; `request.*` style prefixes are allowed."""
    if not subscribed_types:
        return True
    return any(
        t == type_ or (t.endswith(".*") and type_.startswith(t[:-1])) for t in subscribed_types
    )
