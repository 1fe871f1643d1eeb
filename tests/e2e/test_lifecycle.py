"""Full request lifecycles over the real broker and database, each service in its own process.

Each test drives intake's HTTP API, asserts the outcome events in order on `sosa.outcomes.v1`
and the final state through intake's read model. The tests share one stack (`api`, `log`), each
on requests of its own; those that move the router's clock or start a second router have their
own (`own_api`, `own_log`): a clock moved for one would fire another's reminders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.credentials import ActingParty, operator_headers
from tests.e2e.intake_support import post_once_visible
from tests.e2e.outcome_log import OutcomeLog, has, kinds
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]

SUPPLIER = DPAS_REQUEST["supplier"]["party_id"]
REQUESTER = DPAS_REQUEST["requester"]["party_id"]
INDIA_MOD = {"party_id": "in-mod-dga", "kind": "partner_ministry", "country": "IN"}
INDIAN_FIRM = {
    "party_id": "bharat-forge",
    "name": "Bharat Forge",
    "country": "IN",
    "code_of_conduct_signatory": True,
    "timezone": "Asia/Kolkata",
}


class Api:
    """Intake's API as an upstream system, a supplier or an authority would call it."""

    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client = client
        self.stack = stack
        self.intake = stack.url("intake")
        self.router = stack.url("router")

    async def submit(self, body: dict[str, Any]) -> str:
        response = await self.client.post(f"{self.intake}/v1/priority-requests", json=body)
        assert response.status_code == 202, response.text
        request_id: str = response.json()["request_id"]
        return request_id

    async def command(self, request_id: str, what: str, body: dict[str, Any]) -> None:
        url = f"{self.intake}/v1/priority-requests/{request_id}/{what}"
        response = await post_once_visible(self.client, url, json=body)
        assert response.status_code == 202, response.text

    async def state(self, request_id: str, sequence: int) -> dict[str, Any]:
        """The read model once it has caught up with event `sequence`."""
        url = f"{self.intake}/v1/priority-requests/{request_id}"
        async with asyncio.timeout(30):
            while True:
                view: dict[str, Any] = (await self.client.get(url)).json()
                if len(view.get("timeline", [])) >= sequence:
                    return view
                await asyncio.sleep(0.2)

    async def advance_router_clock(self, days: float, router: str | None = None) -> None:
        response = await self.client.post(  # the test clock is for operators only
            f"{router or self.router}/v1/clock/advance",
            json={"seconds": days * 86400},
            headers=operator_headers(),
            auth=None,
        )
        assert response.status_code == 200, response.text


@asynccontextmanager
async def api_on(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        yield Api(client, stack)


@pytest.fixture
async def api(shared_stack: Stack) -> AsyncIterator[Api]:
    async with api_on(shared_stack) as on_shared:
        yield on_shared


@pytest.fixture
async def log(shared_stack: Stack) -> AsyncIterator[OutcomeLog]:
    async with OutcomeLog(shared_stack) as outcome_log:
        yield outcome_log


@pytest.fixture
async def own_api(stack: Stack) -> AsyncIterator[Api]:
    async with api_on(stack) as on_own:
        yield on_own


@pytest.fixture
async def own_log(stack: Stack) -> AsyncIterator[OutcomeLog]:
    async with OutcomeLog(stack) as outcome_log:
        yield outcome_log


def answer(kind: str, **fields: Any) -> dict[str, Any]:
    return {"supplier_party_id": SUPPLIER, "kind": kind, **fields}


async def test_us_to_us_dpas_order_accepted(api: Api, log: OutcomeLog) -> None:
    request_id = await api.submit(DPAS_REQUEST)
    await log.wait_for(request_id, has(1))
    await api.command(request_id, "responses", answer("accept"))
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", "transitioned:accepted"]
    assert events[1]["decision"]["findings"][0]["citation"].startswith("15 CFR 700.13")
    view = await api.state(request_id, 2)
    assert view["state"] == "accepted"


async def test_dpas_rejection_carries_a_counter_offer_date(api: Api, log: OutcomeLog) -> None:
    request_id = await api.submit(DPAS_REQUEST)
    await log.wait_for(request_id, has(1))
    rejection = answer(
        "reject",
        reason="MR_B1_CANNOT_MEET_DATE",
        earliest_delivery_date="2027-05-01",
        explanation="Castings lead time is 26 weeks.",
    )
    await api.command(request_id, "responses", rejection)
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", "transitioned:counter_offered"]
    assert events[1]["decision"]["offered_date"] == "2027-05-01"
    view = await api.state(request_id, 2)
    assert view["state"] == "counter_offered"


async def test_partner_to_us_through_determination_and_authorization(
    api: Api, log: OutcomeLog
) -> None:
    request_id = await api.submit({**DPAS_REQUEST, "requester": INDIA_MOD, "rating": None})
    first = await log.wait_for(request_id, has(1))
    assert first[0]["state"] == "awaiting_determination"
    assert first[0]["parties"]["pending_authority"] == "us-dod-ibp"
    await api.state(request_id, 1)  # intake authorizes DoD once its read model shows it awaited
    await api.command(
        request_id,
        "determination",
        {"authority_party_id": "us-dod-ibp", "approved": True, "reference": "IBP-2026-0042"},
    )
    await log.wait_for(request_id, has(2))
    await api.state(request_id, 2)
    await api.command(
        request_id,
        "authorization",
        {
            "authority_party_id": "us-doc-bis",
            "authorized": True,
            "reference": "BIS-SPA-2026-117",
            "rating": "DO-G2",
        },
    )
    routed = await log.wait_for(request_id, has(3))
    assert routed[2]["decision"]["deadline"] is not None
    assert routed[2]["decision"]["rating"] == "DO-G2"
    await api.command(request_id, "responses", answer("accept"))
    events = await log.wait_for(request_id, has(4))
    assert kinds(events) == [
        "transitioned:awaiting_determination",
        "transitioned:awaiting_authorization",
        "transitioned:routed",
        "transitioned:accepted",
    ]
    assert any("IBP-2026-0042" in f["reason"] for f in events[1]["decision"]["findings"])
    view = await api.state(request_id, 4)
    assert (view["state"], view["path"]) == ("accepted", "dpas_via_sosa")


@pytest.mark.parametrize(
    ("response", "final"),
    [
        ({"kind": "accept"}, "accepted"),
        (
            {
                "kind": "decline",
                "explanation": "Line fully booked for domestic orders until Q3.",
                "reasonable_effort": "Checked both plants and the sub-contractor.",
            },
            "declined",
        ),
    ],
)
async def test_us_to_partner_voluntary(
    api: Api, log: OutcomeLog, response: dict[str, Any], final: str
) -> None:
    request_id = await api.submit({**DPAS_REQUEST, "rating": None, "supplier": INDIAN_FIRM})
    first = await log.wait_for(request_id, has(1))
    assert (first[0]["state"], first[0]["path"]) == ("routed", "voluntary")
    assert first[0]["parties"]["liaison"]
    await api.command(
        request_id, "responses", {"supplier_party_id": INDIAN_FIRM["party_id"], **response}
    )
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", f"transitioned:{final}"]
    view = await api.state(request_id, 2)
    assert view["state"] == final


async def test_silence_brings_reminders_then_overdue_and_escalation(
    own_api: Api, own_log: OutcomeLog
) -> None:
    api, log = own_api, own_log
    request_id = await api.submit({**DPAS_REQUEST, "rating": "DX-A3"})
    first = await log.wait_for(request_id, has(1))
    reminders = first[0]["decision"]["reminders"]
    assert reminders, "a DX clock has reminder points"
    await api.advance_router_clock(days=30)
    events = await log.wait_for(request_id, has(1 + len(reminders) + 2))
    assert kinds(events) == [
        "transitioned:routed",
        *["reminded:routed"] * len(reminders),
        "transitioned:overdue",
        "escalated:overdue",
    ]
    escalation = events[-1]
    assert escalation["escalated_to"] == "requester"
    assert escalation["facts"]["form"] == "BIS-999"
    assert escalation["facts"]["rating"] == "DX-A3"
    view = await api.state(request_id, len(events))
    assert view["state"] == "overdue"


async def test_schedule_amendment_restarts_the_clock(own_api: Api, own_log: OutcomeLog) -> None:
    api, log = own_api, own_log
    request_id = await api.submit(DPAS_REQUEST)
    first = await log.wait_for(request_id, has(1))
    await api.advance_router_clock(days=5)
    await api.command(
        request_id,
        "amendments",
        {
            "issued_by": REQUESTER,
            "kind": "schedule_change",
            "new_delivery_dates": ["2027-02-01"],
            "note": "Fleet maintenance window moved forward.",
        },
    )
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", "transitioned:routed"]
    # the clock restarts at intake's receipt of the change (15 CFR 700.16(b)), not at the
    # router's own time, which runs five days ahead here
    restarted = datetime.fromisoformat(events[1]["decision"]["clock_started_at"])
    assert datetime.fromisoformat(first[0]["decision"]["clock_started_at"]) < restarted
    assert restarted <= datetime.now(UTC)
    assert events[1]["decision"]["deadline"] >= first[0]["decision"]["deadline"]
    assert events[1]["decision"]["required_delivery_dates"] == ["2027-02-01"]


async def test_cancellation_then_an_answer_is_refused(api: Api, log: OutcomeLog) -> None:
    request_id = await api.submit(DPAS_REQUEST)
    await log.wait_for(request_id, has(1))
    await api.command(request_id, "cancellation", {"issued_by": REQUESTER, "reason": "Not needed."})
    await log.wait_for(request_id, has(2))
    await api.command(request_id, "responses", answer("accept"))
    events = await log.wait_for(request_id, has(3))
    assert kinds(events) == [
        "transitioned:routed",
        "transitioned:cancelled",
        "refused:cancelled",
    ]
    assert events[2]["decision"]["findings"][0]["rule_id"] == "COMMAND_WRONG_STATE"
    view = await api.state(request_id, 3)
    assert view["state"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "rule_id"),
    [
        # an unlisted code (TOO_BUSY) or the conflict with lower-rated orders is a 422 at the
        # edge (#26, tests/e2e/test_fuzz_openapi.py); what depends on the request is refused here
        (
            answer("reject", reason="OR_C4_CUSTOMER_SELF_SUPPLIES"),
            "DPAS_700_13_C4_NOT_FOR_US_GOVERNMENT",
        ),
        (
            answer(
                "reject", reason="MR_B3_DX_CONFLICTS_PRIOR_DX", earliest_delivery_date="2027-06-01"
            ),
            "DPAS_700_13_B3_ONLY_FOR_DX",
        ),
        (
            answer("reject", reason="MR_B1_CANNOT_MEET_DATE"),
            "DPAS_700_13_B1_REQUIRES_EARLIEST_DATE",
        ),
        (answer("decline", explanation="Too busy."), "DPAS_700_13_A1_NO_VOLUNTARY_ANSWERS"),
    ],
)
async def test_bad_answers_are_refused_and_change_nothing(
    api: Api, log: OutcomeLog, body: dict[str, Any], rule_id: str
) -> None:
    request_id = await api.submit(DPAS_REQUEST)
    await log.wait_for(request_id, has(1))
    await api.command(request_id, "responses", body)
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", "refused:routed"]
    assert rule_id in [f["rule_id"] for f in events[1]["decision"]["findings"]]
    view = await api.state(request_id, 2)
    assert view["state"] == "routed"


async def test_an_answer_from_another_party_never_reaches_the_router(
    api: Api, log: OutcomeLog
) -> None:
    """Intake refuses it at the edge (404: the request is not addressed to that party); the
    router's own COMMAND_WRONG_PARTY check stays behind it (tests/unit/rules)."""
    request_id = await api.submit(DPAS_REQUEST)
    await log.wait_for(request_id, has(1))
    response = await api.client.post(
        f"{api.intake}/v1/priority-requests/{request_id}/responses",
        json={"supplier_party_id": "some-other-firm", "kind": "accept"},
    )
    assert response.status_code == 404, response.text
    await api.command(request_id, "responses", answer("accept"))
    events = await log.wait_for(request_id, has(2))
    assert kinds(events) == ["transitioned:routed", "transitioned:accepted"]


async def test_two_routers_never_emit_the_same_reminder_twice(
    stack: Stack, own_api: Api, own_log: OutcomeLog
) -> None:
    api, log = own_api, own_log
    stack.start("router", name="router-2")  # same group, same transactional-id prefix
    await stack.wait_ready("router-2")
    request_id = await api.submit({**DPAS_REQUEST, "rating": "DX-A3"})
    first = await log.wait_for(request_id, has(1))
    expected = 1 + len(first[0]["decision"]["reminders"]) + 2
    await api.advance_router_clock(days=30)
    await api.advance_router_clock(days=30, router=stack.url("router-2"))
    await log.wait_for(request_id, has(expected))
    events = await log.settled(request_id, quiet_s=3)  # both timer workers ran many rounds
    assert len(events) == expected, kinds(events)
    assert [e["sequence"] for e in events] == list(range(1, expected + 1))
