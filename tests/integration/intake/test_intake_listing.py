"""The request list against the real PostgreSQL: each filter, and pages that cover all once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake.views.cursor import InvalidCursorError
from sosa.intake.views.list_filters import ListFilters
from sosa.intake.views.listing import list_requests
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, submit
from tests.unit.intake.builders import T0, decision, transitioned

pytestmark = pytest.mark.db
S = RequestState
INDIAN_FIRM = {"party_id": "bharat-forge", "name": "Bharat Forge", "country": "IN"}


async def seed(sessions: Sessions) -> dict[str, str]:
    """Five requests at different stages; returns their ids by name. The accepted one's decision
    names no rating: the rating it was submitted with stays in force."""
    plans: list[tuple[str, dict[str, Any], RequestState, RoutePath, str | None, int | None]] = [
        ("do_routed", DPAS_REQUEST, S.ROUTED, RoutePath.DPAS, "DO-A3", 15),
        ("dx_routed", {**DPAS_REQUEST, "rating": "DX-A1"}, S.ROUTED, RoutePath.DPAS, "DX-A1", 10),
        (
            "rejected",
            {**DPAS_REQUEST, "requester": {**DPAS_REQUEST["requester"], "party_id": "dod-army"}},
            S.REJECTED,
            RoutePath.NONE,
            None,
            None,
        ),
        (
            "voluntary",
            {**DPAS_REQUEST, "rating": None, "supplier": INDIAN_FIRM},
            S.ROUTED,
            RoutePath.VOLUNTARY,
            None,
            30,
        ),
        (
            "do_accepted",
            {**DPAS_REQUEST, "rating": "DO-C9"},
            S.ACCEPTED,
            RoutePath.DPAS,
            "DO-C9",
            20,
        ),
    ]
    ids = {}
    for minutes, (name, body, state, path, rating, days) in enumerate(plans):
        request_id = await submit(sessions, body, now=T0 + timedelta(minutes=minutes))
        deadline = T0 + timedelta(days=days) if days else None
        await apply(
            sessions,
            [
                transitioned(
                    request_id,
                    1,
                    state,
                    S.RECEIVED,
                    path=path,
                    decision=decision(rating=rating, deadline=deadline),
                )
            ],
        )
        ids[name] = request_id
    return ids


async def names(sessions: Sessions, ids: dict[str, str], filters: ListFilters) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    async with sessions() as session:
        page = await list_requests(session, filters, limit=50, cursor=None)
    assert page.next_cursor is None
    return [by_id[item.request_id] for item in page.items]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ListFilters(), ["do_routed", "dx_routed", "rejected", "voluntary", "do_accepted"]),
        (ListFilters(states=(S.REJECTED,)), ["rejected"]),
        (ListFilters(states=(S.ACCEPTED, S.REJECTED)), ["rejected", "do_accepted"]),
        (ListFilters(paths=(RoutePath.VOLUNTARY,)), ["voluntary"]),
        (ListFilters(rating_level="DX"), ["dx_routed"]),
        # the rejected one keeps the rating it was submitted with (DO-A3)
        (ListFilters(rating_level="DO"), ["do_routed", "rejected", "do_accepted"]),
        (ListFilters(rating="DO-A3"), ["do_routed", "rejected"]),
        (ListFilters(requester="dod-army"), ["rejected"]),
        (ListFilters(supplier="bharat-forge"), ["voluntary"]),
        (ListFilters(due_before=T0 + timedelta(days=16)), ["do_routed", "dx_routed"]),
        (
            ListFilters(states=(S.ROUTED,), rating_level="DO", due_before=T0 + timedelta(days=16)),
            ["do_routed"],
        ),
        (ListFilters(states=(S.CANCELLED,)), []),
    ],
)
async def test_each_filter_selects_its_requests(
    sessions: Sessions, filters: ListFilters, expected: list[str]
) -> None:
    ids = await seed(sessions)
    assert await names(sessions, ids, filters) == expected


async def test_pages_cover_every_request_once_in_order_even_on_equal_times(
    sessions: Sessions,
) -> None:
    # seven requests received at the very same instant, then two later: the id breaks ties
    ids = [await submit(sessions, DPAS_REQUEST, now=T0) for _ in range(7)]
    ids += [await submit(sessions, DPAS_REQUEST, now=T0 + timedelta(seconds=s)) for s in (1, 2)]
    expected = sorted(ids[:7]) + ids[7:]
    seen: list[str] = []
    cursor = None
    pages = 0
    async with sessions() as session:
        while True:
            page = await list_requests(session, ListFilters(), limit=2, cursor=cursor)
            pages += 1
            assert len(page.items) <= 2
            seen += [item.request_id for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == expected
    assert pages == 5


async def test_an_exactly_full_last_page_has_no_next_cursor(sessions: Sessions) -> None:
    for minutes in range(4):
        await submit(sessions, DPAS_REQUEST, now=T0 + timedelta(minutes=minutes))
    async with sessions() as session:
        first = await list_requests(session, ListFilters(), limit=2, cursor=None)
        second = await list_requests(session, ListFilters(), limit=2, cursor=first.next_cursor)
    assert first.next_cursor is not None
    assert (len(second.items), second.next_cursor) == (2, None)


async def test_a_cursor_only_works_with_the_filters_it_came_from(sessions: Sessions) -> None:
    await seed(sessions)
    async with sessions() as session:
        first = await list_requests(session, ListFilters(rating_level="DO"), limit=1, cursor=None)
        assert first.next_cursor is not None
        with pytest.raises(InvalidCursorError):
            await list_requests(
                session, ListFilters(rating_level="DX"), limit=1, cursor=first.next_cursor
            )
