"""Who is involved in a request, from when, and which party acts in each command (pure: no I/O).

This is the one home of these policies: intake grants access to a request's view
from it (`sosa.intake.views.access`, `sosa.intake.views.read_model`), the notifier tells the
parties it names (`sosa.notifier.fanout`), and the router names the actor of a
refused command with it (`sosa.router.outcome_outputs`).

**The supplier is involved from routing on.** Under DPAS a supplier receives a rated order when
the order is placed (15 CFR 700.13(a)); before the router has decided the path (a request still
received, or awaiting DoD's program determination or Commerce's rating authorization) there is
no order yet, and a request rejected at routing never becomes one. So the supplier neither sees
such a request at intake nor hears about it from the notifier. From the first event that
routes the request to it, the supplier sees the request and keeps seeing it (its access is
never taken back), and hears of every later outcome its role is told of. The requester is
involved from submission; the partner liaison and an awaited authority from the first event
that names them (docs/security.md, "Who sees a request").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sosa.contracts import commands, outcomes
from sosa.contracts.parties import Role
from sosa.contracts.states import BEFORE_ROUTING, RequestState


class Relation(StrEnum):
    """A party's relation to one request, through which it sees and acts on the request."""

    REQUESTER = "requester"
    SUPPLIER = "supplier"
    LIAISON = "liaison"
    AUTHORITY = "authority"


RELATION_OF_ROLE: Final[dict[Role, Relation]] = {
    Role.REQUESTER: Relation.REQUESTER,
    Role.SUPPLIER: Relation.SUPPLIER,
    Role.PARTNER_LIAISON: Relation.LIAISON,
    Role.DETERMINATION_AUTHORITY: Relation.AUTHORITY,
    Role.RATING_AUTHORITY: Relation.AUTHORITY,
}
"""The relation to a request through which a party holding each role sees it."""

AT_SUBMISSION: Final = frozenset({Relation.REQUESTER})
"""The relations a request has from the moment intake accepts it."""


def supplier_involved(state: RequestState, previous_state: RequestState | None = None) -> bool:
    """Whether an outcome in `state` (a transition from `previous_state`) concerns the supplier:
    the request is routed to it, or was routed to it before this event. A cancellation or a
    rejection before routing does not; an event that is not a transition (a refusal, a
    reminder, an escalation) does once its state is past routing."""
    if previous_state is not None and previous_state not in BEFORE_ROUTING:
        return True
    if previous_state is not None and state is RequestState.CANCELLED:
        return False  # cancelled before it was ever routed: never the supplier's order
    return state not in BEFORE_ROUTING


def involved(event: outcomes.OutcomeEvent) -> list[tuple[str, Relation]]:
    """Each party `event` concerns, with its relation: the requester always, the supplier from
    routing on, the liaison and an awaited authority when the event names them (a party may
    appear in more than one relation)."""
    parties = event.parties
    found = [(parties.requester, Relation.REQUESTER)]
    if supplier_involved(event.state, getattr(event, "previous_state", None)):
        found.append((parties.supplier, Relation.SUPPLIER))
    if parties.liaison:
        found.append((parties.liaison, Relation.LIAISON))
    if parties.pending_authority:
        found.append((parties.pending_authority, Relation.AUTHORITY))
    return found


@dataclass(frozen=True, slots=True)
class Acting:
    """The party a command after submission names as acting, and what it must be to act."""

    field: str
    """The body field that names it."""
    party_id: str
    role: Role
    """The role the acting party must hold."""
    relation: Relation
    """Its relation to the request."""
    awaited: bool = False
    """True for an authority's decision: the request must await this very party."""


def acting(details: object) -> Acting | None:
    """Who acts in the body of a command after submission (None for any other object)."""
    match details:
        case commands.SupplierResponseDetails(supplier_party_id=party):
            return Acting("supplier_party_id", party, Role.SUPPLIER, Relation.SUPPLIER)
        case commands.AmendmentDetails(issued_by=party, by_commerce=True) | (
            commands.CancellationDetails(issued_by=party, by_commerce=True)
        ):
            return Acting("issued_by", party, Role.RATING_AUTHORITY, Relation.AUTHORITY)
        case (
            commands.AmendmentDetails(issued_by=party)
            | commands.CancellationDetails(issued_by=party)
        ):
            return Acting("issued_by", party, Role.REQUESTER, Relation.REQUESTER)
        case commands.DeterminationDetails(authority_party_id=party):
            role = Role.DETERMINATION_AUTHORITY
            return Acting("authority_party_id", party, role, Relation.AUTHORITY, awaited=True)
        case commands.AuthorizationDetails(authority_party_id=party):
            role = Role.RATING_AUTHORITY
            return Acting("authority_party_id", party, role, Relation.AUTHORITY, awaited=True)
    return None


_CARRIED_IN: Final[dict[type[commands.Command], str]] = {
    commands.RespondToRequest: "response",
    commands.AmendRequest: "amendment",
    commands.CancelRequest: "cancellation",
    commands.RecordDetermination: "determination",
    commands.RecordAuthorization: "authorization",
}
"""The field of each command after submission that carries its body."""


def actor(command: commands.Command) -> str | None:
    """The acting party of a command on `sosa.requests.v1` (None: a submission, a clock tick,
    a posture change)."""
    field = _CARRIED_IN.get(type(command))
    found = acting(getattr(command, field)) if field else None
    return found.party_id if found else None
