"""Who is involved in a request and from when, and who acts in each command: the one policy
intake's access, the notifier's fan-out and the router's refusals share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sosa.contracts import commands, involvement
from sosa.contracts.involvement import Relation, acting, actor, involved, supplier_involved
from sosa.contracts.outcomes import DecisionRecord, Parties, RequestTransitioned, ResponseReminded
from sosa.contracts.parties import Role
from sosa.contracts.states import BEFORE_ROUTING, RequestState, RoutePath
from sosa.infra.auth import Caller
from sosa.intake.views.access import relations
from sosa.notifier import fanout

S = RequestState
T0 = datetime(2026, 11, 25, tzinfo=UTC)


def transition(state: RequestState, previous: RequestState | None) -> RequestTransitioned:
    return RequestTransitioned(
        event_id="e1",
        request_id="r1",
        sequence=1,
        state=state,
        previous_state=previous,
        path=RoutePath.DPAS_VIA_SOSA,
        decision=DecisionRecord(outcome="x", ruleset_version="v"),
        parties=Parties(requester="req", supplier="sup", liaison="in-mod"),
        caused_by="c1",
        occurred_at=T0,
    )


@pytest.mark.parametrize(
    ("state", "previous", "told"),
    [
        (S.ROUTED, S.RECEIVED, True),  # the order is placed: the supplier receives it
        (S.ROUTED, S.AWAITING_AUTHORIZATION, True),
        (S.AWAITING_DETERMINATION, S.RECEIVED, False),  # with the authorities: no order yet
        (S.AWAITING_AUTHORIZATION, S.AWAITING_DETERMINATION, False),
        (S.REJECTED, S.RECEIVED, False),  # rejected at routing: never an order
        (S.CANCELLED, S.AWAITING_DETERMINATION, False),  # cancelled before it was an order
        (S.CANCELLED, S.ROUTED, True),  # the supplier had the order: it hears it is cancelled
        (S.AWAITING_AUTHORIZATION, S.ROUTED, True),  # once involved, it stays involved
        (S.ACCEPTED, S.ROUTED, True),
        (S.OVERDUE, None, True),  # a reminder or escalation past routing
        (S.RECEIVED, None, False),
    ],
)
def test_the_supplier_is_involved_from_routing_on(
    state: RequestState, previous: RequestState | None, told: bool
) -> None:
    assert supplier_involved(state, previous) is told


def test_before_routing_is_one_set_the_services_share() -> None:
    assert {S.RECEIVED, S.AWAITING_DETERMINATION, S.AWAITING_AUTHORIZATION, S.REJECTED} == set(
        BEFORE_ROUTING
    )


def test_intake_grants_and_the_notifier_tells_the_same_parties() -> None:
    for state, previous in ((S.AWAITING_DETERMINATION, S.RECEIVED), (S.ROUTED, S.RECEIVED)):
        event = transition(state, previous)
        granted = {party for party, _ in involved(event)}
        assert granted == set(fanout.recipients(event))
    assert involved(transition(S.ROUTED, S.RECEIVED)) == [
        ("req", Relation.REQUESTER),
        ("sup", Relation.SUPPLIER),
        ("in-mod", Relation.LIAISON),
    ]
    routed = transition(S.ROUTED, None).model_dump(exclude={"type", "previous_state"})
    reminder = ResponseReminded.model_validate({**routed, "due_at": T0})
    assert ("sup", Relation.SUPPLIER) in involved(reminder)
    assert {Relation.REQUESTER} == involvement.AT_SUBMISSION


def test_each_role_sees_through_its_relation() -> None:
    authority = Caller("doc-bis", frozenset({Role.RATING_AUTHORITY, Role.SUPPLIER}), "api_key")
    assert relations(authority) == ["authority", "supplier"]


RESPONSE = commands.SupplierResponseDetails(supplier_party_id="sup", kind="accept")
CANCEL = commands.CancellationDetails(issued_by="req", reason="No longer needed.")
COMMERCE_CANCEL = commands.CancellationDetails(
    issued_by="doc-bis", reason="Rating withdrawn.", by_commerce=True
)
DETERMINATION = commands.DeterminationDetails(
    approved=True, authority_party_id="dod-ibp", reference="IBP-1"
)


def test_the_acting_party_of_each_command_body() -> None:
    assert acting(RESPONSE) == involvement.Acting(
        "supplier_party_id", "sup", Role.SUPPLIER, Relation.SUPPLIER
    )
    assert acting(CANCEL) == involvement.Acting(
        "issued_by", "req", Role.REQUESTER, Relation.REQUESTER
    )
    assert acting(COMMERCE_CANCEL) == involvement.Acting(
        "issued_by", "doc-bis", Role.RATING_AUTHORITY, Relation.AUTHORITY
    )
    decided = acting(DETERMINATION)
    assert decided is not None
    assert (decided.role, decided.awaited) == (Role.DETERMINATION_AUTHORITY, True)
    assert acting(object()) is None


def test_the_router_names_the_same_actor_as_intake_checks() -> None:
    respond = commands.RespondToRequest(
        command_id="c", request_id="r", received_at=T0, response=RESPONSE
    )
    cancel = commands.CancelRequest(
        command_id="c", request_id="r", received_at=T0, cancellation=COMMERCE_CANCEL
    )
    tick = commands.ClockTick(
        command_id="c", request_id="r", received_at=T0, timer="deadline", due_at=T0
    )
    assert (actor(respond), actor(cancel), actor(tick)) == ("sup", "doc-bis", None)
