"""Who hears about an outcome, and which endpoints want which event types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sosa.contracts.outcomes import (
    CommandRefused,
    DecisionRecord,
    Escalated,
    Parties,
    RequestTransitioned,
)
from sosa.contracts.states import RequestState, RoutePath
from sosa.notifier import fanout
from sosa.notifier.messages import outcome_message


def outcome(**parties: str | None) -> RequestTransitioned:
    return RequestTransitioned(
        event_id="e1",
        request_id="r1",
        sequence=1,
        state=RequestState.ROUTED,
        previous_state=RequestState.RECEIVED,
        path=RoutePath.DPAS,
        decision=DecisionRecord(outcome="dpas_rated_order", ruleset_version="v"),
        parties=Parties(requester="req", supplier="sup", **parties),
        caused_by="c1",
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


def test_requester_and_supplier_always_hear() -> None:
    assert fanout.recipients(outcome()) == {"req": "requester", "sup": "supplier"}


def test_liaison_and_pending_authority_hear_when_involved() -> None:
    found = fanout.recipients(outcome(liaison="in-mod", pending_authority="dod-ibp"))
    assert found == {
        "req": "requester",
        "sup": "supplier",
        "in-mod": "partner_liaison",
        "dod-ibp": "authority",
    }


@pytest.mark.parametrize(
    ("subscribed", "event_type", "wanted"),
    [
        (None, "request.routed", True),
        ([], "request.routed", True),
        (["request.routed"], "request.routed", True),
        (["request.rejected"], "request.routed", False),
        (["request.*"], "request.routed", True),
        (["delivery.*"], "request.routed", False),
    ],
)
def test_endpoint_filters(subscribed: list[str] | None, event_type: str, wanted: bool) -> None:
    assert fanout.wants(subscribed, event_type) is wanted


def test_message_body_is_a_standard_webhooks_payload() -> None:
    body = outcome_message(outcome(), "requester").body()
    assert body["type"] == "request.routed"
    assert body["data"]["request_id"] == "r1"
    assert set(body) == {"type", "timestamp", "data"}


def test_operators_hear_everything_in_the_operator_role() -> None:
    assert fanout.recipients(outcome(), ["ops"])["ops"] == "operator"


def test_the_supplier_is_not_told_before_the_request_is_addressed_to_it() -> None:
    waiting = outcome(pending_authority="dod-ibp").model_copy(
        update={"state": RequestState.AWAITING_DETERMINATION}
    )
    assert "sup" not in fanout.recipients(waiting)
    assert fanout.recipients(waiting)["dod-ibp"] == "authority"
    cancelled_after_routing = outcome().model_copy(
        update={"state": RequestState.CANCELLED, "previous_state": RequestState.ROUTED}
    )
    assert fanout.recipients(cancelled_after_routing)["sup"] == "supplier"


def test_a_refusal_goes_to_the_party_whose_command_was_refused() -> None:
    base = outcome()
    refused = CommandRefused(
        **base.model_dump(exclude={"type", "previous_state"}),
        command_type="sosa.command.respond.v1",
        actor="sup",
    )
    assert fanout.recipients(refused) == {"sup": "supplier"}
    anonymous = refused.model_copy(update={"actor": None})
    assert fanout.recipients(anonymous) == {"req": "requester"}


def test_an_escalation_skips_the_silent_supplier() -> None:
    base = outcome(liaison="in-mod")
    escalated = Escalated(
        **base.model_dump(exclude={"type", "previous_state"}),
        escalated_to="partner_liaison",
        suggestion="chase",
    )
    assert fanout.recipients(escalated) == {"req": "requester", "in-mod": "partner_liaison"}
