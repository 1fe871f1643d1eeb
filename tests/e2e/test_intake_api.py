"""Intake's API over real processes, the real broker and PostgreSQL.

Most tests run intake alone and play the router themselves, publishing outcome events to the
outcome topic: that makes what intake must do with each kind of event deterministic, whatever the
router does today. The list test runs the real router to route the requests it lists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sosa.contracts import commands
from sosa.contracts.outcomes import Parties
from sosa.contracts.states import RequestState, RoutePath
from tests.e2e.credentials import ActingParty
from tests.e2e.intake_support import (
    publish_outcomes,
    read_commands,
    row_counts,
    started,
    wait_for_view,
)
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.unit.intake.builders import decision, escalated, refused, reminded, transitioned

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]
S = RequestState
BASE = "/v1/priority-requests"
SUPPLIER = DPAS_REQUEST["supplier"]["party_id"]
INDIAN_FIRM = {
    "party_id": "bharat-forge",
    "name": "Bharat Forge",
    "country": "IN",
    "code_of_conduct_signatory": True,
    "timezone": "Asia/Kolkata",
}
COMMANDS: list[tuple[str, dict[str, Any], str]] = [
    ("responses", {"supplier_party_id": SUPPLIER, "kind": "accept"}, commands.RESPOND),
    (
        "amendments",
        {
            "issued_by": "dod-navsea",
            "kind": "schedule_change",
            "new_delivery_dates": ["2027-02-01"],
        },
        commands.AMEND,
    ),
    ("cancellation", {"issued_by": "dod-navsea", "reason": "No longer needed."}, commands.CANCEL),
    (
        "determination",
        {"authority_party_id": "us-dod-ibp", "approved": True, "reference": "IBP-2026-0042"},
        commands.DETERMINE,
    ),
    (
        "authorization",
        {
            "authority_party_id": "us-doc-bis",
            "authorized": True,
            "reference": "BIS-2026-117",
            "rating": "DO-G2",
        },
        commands.AUTHORIZE,
    ),
]

AWAITING = {
    "responses": (1, RequestState.ROUTED, None),
    "determination": (2, RequestState.AWAITING_DETERMINATION, "us-dod-ibp"),
    "authorization": (3, RequestState.AWAITING_AUTHORIZATION, "us-doc-bis"),
}
"""The outcome each command waits for: the supplier answers a request once it is routed to it,
an authority decides one that awaits its decision."""


@pytest.fixture
async def intake(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    """intake alone: nothing routes its commands, the test publishes the outcomes."""
    async with started(["intake"], kafka=kafka_bootstrap, databases=databases, logs=tmp_path) as s:
        yield s


@pytest.fixture
async def intake_and_router(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    services = ["intake", "router"]
    async with started(services, kafka=kafka_bootstrap, databases=databases, logs=tmp_path) as s:
        yield s


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as http:
        yield http


def has_sequence(last: int) -> Callable[[dict[str, Any]], bool]:
    return lambda view: view["last_sequence"] == last


async def submit(client: httpx.AsyncClient, stack: Stack, body: dict[str, Any]) -> str:
    response = await client.post(f"{stack.url('intake')}{BASE}", json=body)
    assert response.status_code == 202, response.text
    request_id: str = response.json()["request_id"]
    return request_id


async def test_each_command_is_stored_then_published_with_its_type(
    intake: Stack, client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    url = intake.url("intake")
    request_id = await submit(client, intake, DPAS_REQUEST)
    sent: dict[str, str] = {}
    for what, body, command_type in COMMANDS:
        if what in AWAITING:  # the request must be routed to the supplier, or await the authority
            sequence, state, authority = AWAITING[what]
            parties = Parties(
                requester="dod-navsea", supplier=SUPPLIER, pending_authority=authority
            )
            await publish_outcomes(
                intake, [transitioned(request_id, sequence, state, parties=parties)]
            )
            await wait_for_view(client, f"{url}{BASE}/{request_id}", has_sequence(sequence))
        response = await client.post(f"{url}{BASE}/{request_id}/{what}", json=body)
        assert response.status_code == 202, response.text
        answer = response.json()
        assert (answer["request_id"], answer["command_type"]) == (request_id, command_type)
        location = f"{BASE}/{request_id}/commands/{answer['command_id']}"
        assert response.headers["location"] == location == answer["links"]["self"]
        sent[answer["command_id"]] = command_type
        status = (await client.get(f"{url}{location}")).json()
        # no router runs here: nothing can have answered yet
        assert (status["status"], status["command_type"], status["outcomes"]) == (
            "pending",
            command_type,
            [],
        )

    published = await read_commands(intake, lambda seen: len(seen) >= 1 + len(COMMANDS))
    assert published[0].type == commands.SUBMIT
    assert {m.id: m.type for m in published[1:]} == sent
    assert {m.subject for m in published} == {request_id}  # one key: one partition, in order
    assert [m.id for m in published[1:]] == list(sent)  # in the order intake accepted them
    for message in published[1:]:
        command = commands.parse_command(message.type, message.data)
        assert (command.command_id, command.request_id) == (message.id, request_id)
    counts = await row_counts(databases["intake"])
    assert counts["commands"] == 1 + len(COMMANDS)


async def test_commands_for_an_unknown_request_are_404_and_store_nothing(
    intake: Stack, client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    url = intake.url("intake")
    for what, body, _ in COMMANDS:
        response = await client.post(f"{url}{BASE}/no-such-request/{what}", json=body)
        assert response.status_code == 404, what
        assert response.headers["content-type"] == "application/problem+json"
        assert "no-such-request" in response.json()["detail"]
    missing = await client.get(f"{url}{BASE}/no-such-request/commands/no-such-command")
    assert missing.status_code == 404
    assert await row_counts(databases["intake"]) == dict.fromkeys(
        ("commands", "outbox", "request_views", "request_timeline"), 0
    )


@pytest.mark.parametrize(
    ("what", "body", "field"),
    [
        ("responses", {"supplier_party_id": SUPPLIER, "kind": "maybe"}, "kind"),
        ("responses", {"kind": "accept"}, "supplier_party_id"),
        (
            "responses",
            {"supplier_party_id": SUPPLIER, "kind": "reject", "reason": "not a code!"},
            "reason",
        ),
        (
            "responses",
            {"supplier_party_id": SUPPLIER, "kind": "accept", "price": "1"},
            "price",
        ),
        ("amendments", {"issued_by": "dod-navsea", "kind": "new_colour"}, "kind"),
        ("cancellation", {"issued_by": "has spaces"}, "issued_by"),
        ("determination", {"authority_party_id": "us-dod-ibp", "approved": True}, "reference"),
        (
            "authorization",
            {"authority_party_id": "us-doc-bis", "authorized": "perhaps", "reference": "B-1"},
            "authorized",
        ),
    ],
)
async def test_a_malformed_command_is_a_422_naming_the_field_and_stores_nothing(
    intake: Stack,
    client: httpx.AsyncClient,
    databases: dict[str, str],
    what: str,
    body: dict[str, Any],
    field: str,
) -> None:
    request_id = await submit(client, intake, DPAS_REQUEST)
    before = await row_counts(databases["intake"])
    response = await client.post(f"{intake.url('intake')}{BASE}/{request_id}/{what}", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert field in problem["detail"]
    after = await row_counts(databases["intake"])
    assert after["commands"] == before["commands"] == 1


async def test_evaluate_answers_the_decision_and_stores_or_publishes_nothing(
    intake: Stack, client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    url = f"{intake.url('intake')}{BASE}/evaluate"
    routed = await client.post(url, json=DPAS_REQUEST)
    rejected = await client.post(
        url, json={**DPAS_REQUEST, "supplier": {"party_id": "x", "name": "X", "country": "BR"}}
    )
    malformed = await client.post(url, json={**DPAS_REQUEST, "items": []})

    assert routed.status_code == 200, routed.text
    answer = routed.json()
    assert (answer["state"], answer["path"]) == ("routed", "dpas")
    assert answer["decision"]["rating"] == "DO-A3"
    assert datetime.fromisoformat(answer["decision"]["deadline"]) > datetime.now(UTC)
    assert answer["decision"]["ruleset_version"]
    assert all(f["citation"] for f in answer["decision"]["findings"])
    assert rejected.json()["state"] == "rejected"
    assert any(f["blocking"] for f in rejected.json()["decision"]["findings"])
    assert malformed.status_code == 422
    assert "items" in {e["field"] for e in malformed.json()["errors"]}

    assert await row_counts(databases["intake"]) == dict.fromkeys(
        ("commands", "outbox", "request_views", "request_timeline"), 0
    )
    # a real submission after the dry runs: the relay publishes in order, so once it is on the
    # topic anything the dry runs had queued would be there before it
    marker = await submit(client, intake, DPAS_REQUEST)
    published = await read_commands(intake, lambda seen: any(m.subject == marker for m in seen))
    assert [(m.type, m.subject) for m in published] == [(commands.SUBMIT, marker)]


async def test_evaluate_as_of_a_stated_time_counts_working_days_across_the_holidays(
    intake: Stack, client: httpx.AsyncClient
) -> None:
    url = f"{intake.url('intake')}{BASE}/evaluate"
    dx = {**DPAS_REQUEST, "rating": "DX-A3"}
    # Tuesday 22 December 2026: 10 working days skip Christmas (Fri 25) and New Year (Fri 1)
    before_christmas = await client.post(
        url, params={"as_of": "2026-12-22T10:00:00-05:00"}, json=dx
    )
    # the eve of Thanksgiving (Thu 26 November 2026): the count starts on Friday 27
    thanksgiving = await client.post(url, params={"as_of": "2026-11-25T16:00:00-05:00"}, json=dx)
    naive = await client.post(url, params={"as_of": "2026-12-22T10:00:00"}, json=dx)

    assert before_christmas.status_code == 200, before_christmas.text
    answer = before_christmas.json()
    assert answer["decision"]["deadline"] == "2027-01-07T23:59:59-05:00"  # not 5 January
    assert datetime.fromisoformat(answer["evaluated_at"]) == datetime.fromisoformat(
        "2026-12-22T10:00:00-05:00"
    )
    assert thanksgiving.json()["decision"]["deadline"] == "2026-12-10T23:59:59-05:00"
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"
    assert "as_of" in {e["field"] for e in naive.json()["errors"]}, naive.json()


async def test_the_timeline_keeps_every_outcome_kind_once_and_the_view_moves_forward_only(
    intake: Stack, client: httpx.AsyncClient
) -> None:
    url = intake.url("intake")
    request_id = await submit(client, intake, {**DPAS_REQUEST, "rating": "DX-A3"})
    deadline = datetime.now(UTC) + timedelta(days=14)
    routed = transitioned(
        request_id, 1, S.ROUTED, S.RECEIVED, decision=decision(rating="DX-A3", deadline=deadline)
    )
    # the supplier sees (and answers) the request once it is routed to it
    await publish_outcomes(intake, [routed])
    await wait_for_view(client, f"{url}{BASE}/{request_id}", has_sequence(1))
    answer = await client.post(  # refused below by a (synthetic) router all the same
        f"{url}{BASE}/{request_id}/responses",
        json={"supplier_party_id": SUPPLIER, "kind": "accept"},
    )
    command_id = answer.json()["command_id"]
    refusal = refused(request_id, 2, S.ROUTED, caused_by=command_id, actor="some-other-firm")
    overdue = decision("overdue", rating="DX-A3", deadline=deadline)
    await publish_outcomes(
        intake,
        [
            routed,  # delivered again
            refusal,
            refusal,  # delivered twice
            transitioned(request_id, 1, S.REJECTED, S.RECEIVED),  # a stale, conflicting event
            reminded(request_id, 3, S.ROUTED),
            transitioned(request_id, 4, S.OVERDUE, S.ROUTED, decision=overdue),
            escalated(request_id, 5, S.OVERDUE),
        ],
    )
    # events of one request arrive in order: once the last is in, the duplicates were seen
    view = await wait_for_view(client, f"{url}{BASE}/{request_id}", has_sequence(5))
    assert [(e["sequence"], e["kind"], e["state"]) for e in view["timeline"]] == [
        (1, "transitioned", "routed"),
        (2, "refused", "routed"),
        (3, "reminded", "routed"),
        (4, "transitioned", "overdue"),
        (5, "escalated", "overdue"),
    ]
    assert (view["state"], view["path"], view["rating"]) == ("overdue", "dpas", "DX-A3")
    assert view["decision"]["outcome"] == "overdue"
    assert datetime.fromisoformat(view["deadline"]) == routed.decision.deadline
    refused_entry = view["timeline"][1]
    assert (refused_entry["command_type"], refused_entry["actor"], refused_entry["caused_by"]) == (
        commands.RESPOND,
        "some-other-firm",
        command_id,
    )
    assert view["timeline"][2]["due_at"]
    assert view["timeline"][4]["escalated_to"] == "requester"
    assert view["timeline"][4]["facts"]["form"] == "BIS-999"

    status = (await client.get(f"{url}{BASE}/{request_id}/commands/{command_id}")).json()
    assert status["status"] == "refused"
    assert [e["sequence"] for e in status["outcomes"]] == [2]


async def test_the_list_filters_and_pages_over_routed_requests(
    intake_and_router: Stack, client: httpx.AsyncClient
) -> None:
    stack = intake_and_router
    url = f"{stack.url('intake')}{BASE}"
    army = {**DPAS_REQUEST["requester"], "party_id": "dod-army"}
    bodies = {
        "do": DPAS_REQUEST,
        "dx": {**DPAS_REQUEST, "rating": "DX-A1"},
        "rejected": {**DPAS_REQUEST, "supplier": {"party_id": "x", "name": "X", "country": "BR"}},
        "voluntary": {**DPAS_REQUEST, "rating": None, "supplier": INDIAN_FIRM},
        "army_do": {**DPAS_REQUEST, "requester": army, "rating": "DO-A1"},
    }
    ids = {name: await submit(client, stack, body) for name, body in bodies.items()}
    names = {request_id: name for name, request_id in ids.items()}
    views = {
        name: await wait_for_view(client, f"{url}/{request_id}", lambda v: v["state"] != "received")
        for name, request_id in ids.items()
    }
    assert views["rejected"]["state"] == "rejected"
    assert views["voluntary"]["path"] == "voluntary"

    async def listed(**params: Any) -> list[str]:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return [names[item["request_id"]] for item in response.json()["items"]]

    assert await listed() == list(bodies)
    assert await listed(state="rejected") == ["rejected"]
    assert await listed(state=["rejected", "routed"], path="dpas") == ["do", "dx", "army_do"]
    assert await listed(rating="DX") == ["dx"]
    assert await listed(rating="do") == ["do", "rejected", "army_do"]
    assert await listed(rating="DOA1") == ["army_do"]
    assert await listed(path="voluntary") == ["voluntary"]
    assert await listed(requester="dod-army") == ["army_do"]
    assert await listed(supplier="bharat-forge") == ["voluntary"]
    dx_deadline = datetime.fromisoformat(views["dx"]["deadline"])
    assert await listed(due_before=(dx_deadline + timedelta(seconds=1)).isoformat()) == ["dx"]

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await client.get(url, params=params)).json()
        seen += [names[item["request_id"]] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert seen == list(bodies)

    first = (await client.get(url, params={"limit": 1, "rating": "DO"})).json()
    for params, field in [
        ({"rating": "DX", "cursor": first["next_cursor"]}, "cursor"),
        ({"cursor": "garbage"}, "cursor"),
        ({"rating": "DQ-Z9"}, "rating"),
        ({"limit": 201}, "limit"),
        ({"state": "limbo"}, "state"),
        ({"due_before": "2027-01-01T00:00:00"}, "due_before"),  # no time zone
    ]:
        response = await client.get(url, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"].split(".")[0] for e in response.json()["errors"]}, params


async def test_the_work_order_sequences_accepted_rated_orders(
    intake: Stack, client: httpx.AsyncClient
) -> None:
    url = intake.url("intake")
    plans = [  # name, rating, required date
        ("do_late", "DO-A3", date(2027, 6, 1)),
        ("do_early_first", "DO-A3", date(2027, 3, 1)),
        ("do_early_second", "DO-A1", date(2027, 3, 1)),
        ("dx", "DX-A3", date(2027, 12, 1)),
        ("not_accepted", "DX-A1", date(2027, 1, 1)),
    ]
    ids: dict[str, str] = {}
    events = []
    for name, rating, due in plans:
        body = {**DPAS_REQUEST, "rating": rating, "required_delivery_dates": [due.isoformat()]}
        ids[name] = request_id = await submit(client, intake, body)
        record = decision(rating=rating, required_delivery_dates=[due])
        events.append(transitioned(request_id, 1, S.ROUTED, S.RECEIVED, decision=record))
        if name != "not_accepted":
            events.append(
                transitioned(request_id, 2, S.ACCEPTED, S.ROUTED, decision=record.model_copy())
            )
    voluntary = await submit(client, intake, {**DPAS_REQUEST, "rating": None})
    events += [
        transitioned(voluntary, 1, S.ROUTED, S.RECEIVED, path=RoutePath.VOLUNTARY),
        transitioned(voluntary, 2, S.ACCEPTED, S.ROUTED, path=RoutePath.VOLUNTARY),
    ]
    await publish_outcomes(intake, events)
    last_sequences = dict.fromkeys([*ids.values(), voluntary], 2)
    last_sequences[ids["not_accepted"]] = 1
    for request_id, last in last_sequences.items():
        view = await wait_for_view(client, f"{url}{BASE}/{request_id}", has_sequence(last))
        assert view["state"] == ("accepted" if last == 2 else "routed")

    response = await client.get(f"{url}/v1/suppliers/{SUPPLIER}/work-order")
    assert response.status_code == 200, response.text
    plan = response.json()
    names = {request_id: name for name, request_id in ids.items()}
    assert [names[o["request_id"]] for o in plan["orders"]] == [
        "dx",
        "do_early_first",
        "do_early_second",
        "do_late",
    ]
    assert [o["position"] for o in plan["orders"]] == [1, 2, 3, 4]
    assert plan["orders"][0]["rating"] == "DX-A3"
    assert plan["orders"][1]["required_delivery_date"] == "2027-03-01"
    assert plan["orders"][1]["rated_as_of"] < plan["orders"][2]["rated_as_of"]
    assert {f["rule_id"] for f in plan["findings"]} >= {
        "DPAS_700_14_B_LEVEL_PRECEDENCE",
        "DPAS_700_14_C1_DELIVERY_DATE_ORDER",
        "DPAS_700_14_C1_SAME_DAY_RECEIPT",
    }
    assert plan["ruleset_version"]
    nobody = (await client.get(f"{url}/v1/suppliers/nobody/work-order")).json()
    assert nobody["orders"] == []
    bad = await client.get(f"{url}/v1/suppliers/has%20space/work-order")
    assert bad.status_code == 422
