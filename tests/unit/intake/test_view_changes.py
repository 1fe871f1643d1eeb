"""How outcome events move a request's view: forward only, and state only by transitions."""

from __future__ import annotations

from datetime import date, timedelta

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake.views.changes import ViewFacts, advance
from tests.unit.intake.builders import T0, decision, escalated, refused, reminded, transitioned

R = "req-1"
S = RequestState
RECEIVED = ViewFacts(
    state=S.RECEIVED,
    path=None,
    rating="DO-A3",
    rating_level="DO",
    decision=None,
    deadline=None,
    required_delivery_date=date(2027, 3, 1),
    rated_at=None,
    received_at=T0 - timedelta(hours=1),
    last_sequence=0,
    updated_at=T0 - timedelta(hours=1),
)
DEADLINE = T0 + timedelta(days=21)


def routed(facts: ViewFacts = RECEIVED) -> ViewFacts:
    event = transitioned(
        R, 1, S.ROUTED, S.RECEIVED, decision=decision(rating="DO-A3", deadline=DEADLINE)
    )
    return advance(facts, event)


def test_a_transition_moves_state_path_decision_deadline_and_sequence() -> None:
    after = routed()
    assert (after.state, after.path, after.deadline) == (S.ROUTED, RoutePath.DPAS, DEADLINE)
    assert after.last_sequence == 1
    assert after.decision is not None
    assert after.decision["outcome"] == "dpas_rated_order"
    assert after.updated_at == T0 + timedelta(minutes=1)


def test_an_order_rated_as_submitted_counts_from_its_receipt() -> None:
    assert routed().rated_at == RECEIVED.received_at


def test_an_event_already_seen_changes_nothing() -> None:
    after = advance(routed(), transitioned(R, 2, S.ACCEPTED, S.ROUTED))
    same_sequence = transitioned(R, 2, S.CANCELLED, S.ROUTED)
    older = transitioned(R, 1, S.REJECTED, S.RECEIVED)
    assert advance(after, same_sequence) == after
    assert advance(after, older) == after
    assert after.state == S.ACCEPTED


def test_refusals_reminders_and_escalations_do_not_change_the_state() -> None:
    after = routed()
    for event in (refused(R, 2, S.ROUTED), reminded(R, 3, S.ROUTED), escalated(R, 4, S.OVERDUE)):
        moved = advance(after, event)
        assert (moved.state, moved.decision, moved.deadline) == (
            after.state,
            after.decision,
            after.deadline,
        )
        assert moved.last_sequence == event.sequence
        after = moved


def test_a_decision_without_a_rating_keeps_the_rating_in_force() -> None:
    after = advance(routed(), transitioned(R, 2, S.ACCEPTED, S.ROUTED, decision=decision()))
    assert (after.rating, after.rating_level) == ("DO-A3", "DO")
    assert after.rated_at == RECEIVED.received_at


def test_an_upgrade_to_dx_counts_from_the_change() -> None:
    upgrade = transitioned(
        R, 2, S.ROUTED, S.ROUTED, decision=decision("amended", rating="DX-A3"), occurred_at=T0
    )
    after = advance(routed(), upgrade)
    assert (after.rating, after.rating_level, after.rated_at) == ("DX-A3", "DX", T0)


def test_a_restarted_clock_makes_a_new_rated_order_as_of_the_change() -> None:
    first = advance(
        RECEIVED,
        transitioned(
            R, 1, S.ROUTED, S.RECEIVED, decision=decision(rating="DO-A3", clock_started_at=T0)
        ),
    )
    later = T0 + timedelta(days=5)
    amended = transitioned(
        R,
        2,
        S.ROUTED,
        S.ROUTED,
        occurred_at=later,
        decision=decision(
            "amended",
            rating="DO-A3",
            clock_started_at=later,
            required_delivery_dates=[date(2027, 2, 1)],
        ),
    )
    after = advance(first, amended)
    assert after.rated_at == later
    assert after.required_delivery_date == date(2027, 2, 1)


def test_a_partner_request_is_rated_from_commerce_s_authorization() -> None:
    waiting = advance(
        RECEIVED,
        transitioned(
            R,
            1,
            S.AWAITING_DETERMINATION,
            S.RECEIVED,
            path=RoutePath.DPAS_VIA_SOSA,
            decision=decision("awaiting_determination", rating="DO-A3"),
        ),
    )
    assert waiting.rated_at is None
    authorized_at = T0 + timedelta(days=3)
    routed_after = advance(
        waiting,
        transitioned(
            R,
            2,
            S.ROUTED,
            S.AWAITING_AUTHORIZATION,
            path=RoutePath.DPAS_VIA_SOSA,
            occurred_at=authorized_at,
            decision=decision("dpas_rated_order", rating="DO-G2"),
        ),
    )
    assert (routed_after.rating, routed_after.rated_at) == ("DO-G2", authorized_at)


def test_voluntary_requests_are_never_rated() -> None:
    voluntary = advance(
        RECEIVED,
        transitioned(R, 1, S.ROUTED, S.RECEIVED, path=RoutePath.VOLUNTARY, decision=decision()),
    )
    assert voluntary.rated_at is None
