"""Intake's read model against the real PostgreSQL: every outcome kind, each once, forward only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sosa.contracts.states import RequestState, RoutePath
from sosa.infra.db import insert_ignoring_duplicates
from sosa.intake import tables
from sosa.intake.views.queries import load_view
from sosa.intake.views.read_model import UnknownRequestError
from sosa.intake.views.timeline import timeline_row
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, count, submit
from tests.unit.intake.builders import T0, decision, escalated, refused, reminded, transitioned

pytestmark = pytest.mark.db
S = RequestState
DEADLINE = T0 + timedelta(days=21)


async def test_a_submission_is_readable_at_once_as_received(sessions: Sessions) -> None:
    request_id = await submit(sessions, {**DPAS_REQUEST, "rating": "doa3"}, now=T0)
    async with sessions() as session:
        view = await load_view(session, request_id)
    assert view is not None
    assert (view.state, view.path, view.timeline) == (S.RECEIVED, None, [])
    assert (view.rating, view.rating_level) == ("DO-A3", "DO")
    assert view.required_delivery_date == date(2027, 3, 1)
    assert view.details.rating == "doa3"  # the request as submitted stays as it was


async def test_every_kind_of_event_is_kept_once_in_order(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    events = [
        transitioned(
            request_id,
            1,
            S.ROUTED,
            S.RECEIVED,
            decision=decision(rating="DO-A3", deadline=DEADLINE),
        ),
        refused(request_id, 2, S.ROUTED),
        reminded(request_id, 3, S.ROUTED),
        transitioned(request_id, 4, S.OVERDUE, S.ROUTED, decision=decision("overdue")),
        escalated(request_id, 5, S.OVERDUE),
    ]
    await apply(sessions, events[:3])
    await apply(sessions, events)  # the first three again: a redelivered batch
    await apply(sessions, events[3:])
    assert await count(sessions, "request_timeline") == 5
    async with sessions() as session:
        view = await load_view(session, request_id)
    assert view is not None
    assert [(e.sequence, e.kind, e.state) for e in view.timeline] == [
        (1, "transitioned", S.ROUTED),
        (2, "refused", S.ROUTED),
        (3, "reminded", S.ROUTED),
        (4, "transitioned", S.OVERDUE),
        (5, "escalated", S.OVERDUE),
    ]
    assert view.state == S.OVERDUE
    assert view.decision is not None
    assert view.decision.outcome == "overdue"  # the escalation did not replace the decision
    assert view.timeline[1].command_type == "sosa.command.respond.v1"
    assert view.timeline[2].due_at is not None
    assert view.timeline[4].facts == {"form": "BIS-999", "rating": "DX-A3"}
    assert [e.caused_by for e in view.timeline] == [e.caused_by for e in events]


async def test_the_view_never_moves_back(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    routed = transitioned(
        request_id, 1, S.ROUTED, S.RECEIVED, decision=decision(rating="DO-A3", deadline=DEADLINE)
    )
    accepted = transitioned(request_id, 2, S.ACCEPTED, S.ROUTED, decision=decision("accepted"))
    await apply(sessions, [routed, accepted])
    await apply(sessions, [routed])  # replayed on its own, later
    async with sessions() as session:
        view = await load_view(session, request_id)
    assert view is not None
    assert view.state == S.ACCEPTED
    assert view.path == RoutePath.DPAS
    assert (view.rating, view.rating_level) == ("DO-A3", "DO")


async def test_filter_columns_follow_the_latest_decision(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    await apply(
        sessions,
        [
            transitioned(
                request_id,
                1,
                S.ROUTED,
                S.RECEIVED,
                decision=decision(rating="DO-A3", deadline=DEADLINE),
            ),
            transitioned(
                request_id,
                2,
                S.ROUTED,
                S.ROUTED,
                decision=decision(
                    "amended",
                    rating="DX-A3",
                    deadline=DEADLINE + timedelta(days=3),
                    required_delivery_dates=[date(2027, 2, 1), date(2027, 4, 1)],
                ),
            ),
        ],
    )
    async with sessions() as session:
        view = await load_view(session, request_id)
    assert view is not None
    assert (view.rating, view.rating_level) == ("DX-A3", "DX")
    assert view.deadline == DEADLINE + timedelta(days=3)
    assert view.required_delivery_date == date(2027, 2, 1)


async def test_events_of_a_request_intake_never_accepted_are_refused_and_record_nothing(
    sessions: Sessions,
) -> None:
    """A forged outcome (or another deployment's) adds no timeline, access or audit row; the
    consumer runner then applies the batch event by event and dead-letters only the stranger."""
    known = await submit(sessions, DPAS_REQUEST, now=T0)
    before = {t: await count(sessions, t) for t in ("request_timeline", "request_access")}
    with pytest.raises(UnknownRequestError, match="someone-elses"):
        await apply(
            sessions,
            [
                transitioned("someone-elses", 1, S.ROUTED),
                transitioned(known, 1, S.ROUTED, S.RECEIVED),
            ],
        )
    assert {t: await count(sessions, t) for t in before} == before
    await apply(sessions, [transitioned(known, 1, S.ROUTED, S.RECEIVED)])
    async with sessions() as session:
        assert await load_view(session, "someone-elses") is None
        view = await load_view(session, known)
    assert view is not None
    assert view.state == S.ROUTED


async def test_a_view_and_its_timeline_are_read_as_of_one_moment(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    await apply(sessions, [transitioned(request_id, 1, S.ROUTED, S.RECEIVED)])
    # what a reader can meet between its two statements: the next event's row is visible
    # already, the view it came with not yet
    async with sessions() as session, session.begin():
        await insert_ignoring_duplicates(
            session,
            tables.request_timeline,
            [timeline_row(transitioned(request_id, 2, S.ACCEPTED, S.ROUTED))],
        )
    async with sessions() as session:
        view = await load_view(session, request_id)
    assert view is not None
    assert (view.state, view.last_sequence) == (S.ROUTED, 1)
    assert [e.sequence for e in view.timeline] == [1]
