"""Every endpoint of intake and the notifier by every role: allowed or refused, as
docs/security.md says.

intake and the notifier run as processes; an operator (the bootstrap key) creates one party per
role through intake and issues each an API key, which reaches the notifier on `sosa.parties.v1`.
The router does not run: the test publishes the outcome events that make one request await DoD,
another await Commerce and a third routed to the supplier (the supplier sees a request only
from routing on, `sosa.contracts.involvement`). The routes come from each app's OpenAPI
document, so an endpoint added without a row here fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sosa.contracts.outcomes import Parties
from sosa.contracts.states import RequestState
from sosa.intake.app import create_app as intake_app
from sosa.intake.settings import IntakeSettings
from sosa.notifier.app import create_app as notifier_app
from sosa.notifier.settings import NotifierSettings
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY
from tests.e2e.intake_support import publish_outcomes, started
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.unit.intake.builders import transitioned

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]

ROLES = (
    "anonymous",
    "requester",
    "supplier",
    "determination_authority",
    "rating_authority",
    "partner_liaison",
    "operator",
    "other_requester",
)
PUBLIC = {("get", "/healthz"), ("get", "/readyz")}
SUFFIX = uuid.uuid4().hex[:6]
PARTY = {role: f"mx-{role.replace('_', '-')}-{SUFFIX}" for role in ROLES if role != "anonymous"}
GRANTED = {
    "requester": "requester",
    "supplier": "supplier",
    "determination_authority": "determination_authority",
    "rating_authority": "rating_authority",
    "partner_liaison": "partner_liaison",
    "operator": "operator",
    "other_requester": "requester",
}
KIND = {
    "requester": {"kind": "us_dod"},
    "supplier": {"kind": "us_supplier"},
    "determination_authority": {"kind": "determination_authority"},
    "rating_authority": {"kind": "rating_authority"},
    "partner_liaison": {"kind": "partner_liaison", "country": "IN"},
    "operator": {"kind": "operator"},
    "other_requester": {"kind": "us_dod"},
}
"""What each party is (its registry attributes, #23): a requester must have them to submit, an
authority to decide."""


@dataclass
class World:
    stack: Stack
    keys: dict[str, str]
    awaiting_dod: str = ""
    awaiting_doc: str = ""
    routed: str = ""
    submit_command: str = ""
    scratch: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else {"Authorization": f"Bearer {self.keys[role]}"}

    async def call(
        self, service: str, role: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.stack.url(service), timeout=10) as client:
            return await client.request(method, path, headers=self.headers(role), **kwargs)


# --- rows: (service, method, path) -> how to call it, and what each role gets -------------

Call = Callable[[World, str], Awaitable[httpx.Response]]


def everyone(status: int) -> dict[str, int]:
    return {role: status for role in ROLES if role != "anonymous"}


def only(allowed: dict[str, int], refused: int, **others: int) -> dict[str, int]:
    expected = {role: refused for role in ROLES if role != "anonymous"}
    expected.update(allowed)
    expected.update(others)
    return expected


R1 = "/v1/priority-requests/{request_id}"
SEE_R1 = {"requester", "determination_authority", "partner_liaison", "operator"}
"""Who sees the request awaiting DoD: not yet its supplier (no order before routing)."""
NOT_SEE_R1 = {"supplier": 404, "rating_authority": 404, "other_requester": 404}
NOT_SEE_ROUTED = {"determination_authority": 404, "rating_authority": 404, "other_requester": 404}
"""Who does not see the request routed to the supplier: no authority was ever awaited."""


def body_for(world: World) -> dict[str, Any]:
    return {
        **DPAS_REQUEST,
        "requester": {**DPAS_REQUEST["requester"], "party_id": PARTY["requester"]},
        "supplier": {**DPAS_REQUEST["supplier"], "party_id": PARTY["supplier"]},
    }


async def _fresh_party(world: World) -> str:
    party = f"mx-scratch-{uuid.uuid4().hex[:8]}"
    made = await world.call(
        "intake",
        "operator",
        "POST",
        "/v1/parties",
        json={"party_id": party, "name": "Scratch", "roles": ["supplier"]},
    )
    assert made.status_code == 201, made.text
    return party


async def _key_to_revoke(world: World) -> tuple[str, str]:
    party = world.scratch["party"]
    issued = await world.call("intake", "operator", "POST", f"/v1/parties/{party}/api-keys")
    assert issued.status_code == 201, issued.text
    return party, issued.json()["key_id"]


async def _own_endpoint(world: World, role: str) -> str:
    """An endpoint of the requester (a fresh one: the caller may delete it)."""
    made = await world.call(
        "notifier", "requester", "POST", "/v1/endpoints", json={"url": world.scratch["hook"]}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["endpoint_id"])


async def _own_recipient(world: World, role: str) -> str:
    made = await world.call(
        "notifier",
        "requester",
        "POST",
        "/v1/email-recipients",
        json={"address": "desk@navsea.example"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["recipient_id"])


async def _stream(world: World, role: str) -> httpx.Response:
    async with (
        httpx.AsyncClient(base_url=world.stack.url("notifier"), timeout=10) as client,
        client.stream("GET", "/v1/stream", headers=world.headers(role)) as response,
    ):
        return response


def _r1(path: str) -> Callable[[World], str]:
    return lambda w: path.replace("{request_id}", w.awaiting_dod)


ROWS: dict[tuple[str, str, str], tuple[Call, dict[str, int]]] = {
    # ---------------- intake ----------------
    ("intake", "post", "/v1/priority-requests"): (
        lambda w, r: w.call("intake", r, "POST", "/v1/priority-requests", json=body_for(w)),
        only({"requester": 202}, 403),
    ),
    ("intake", "get", "/v1/priority-requests"): (
        lambda w, r: w.call("intake", r, "GET", "/v1/priority-requests"),
        everyone(200),
    ),
    ("intake", "post", "/v1/priority-requests/evaluate"): (
        lambda w, r: w.call(
            "intake", r, "POST", "/v1/priority-requests/evaluate", json=body_for(w)
        ),
        everyone(200),
    ),
    ("intake", "get", R1): (
        lambda w, r: w.call("intake", r, "GET", _r1(R1)(w)),
        only(dict.fromkeys(SEE_R1, 200), 404),
    ),
    ("intake", "post", R1 + "/responses"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            f"/v1/priority-requests/{w.routed}/responses",
            json={"supplier_party_id": PARTY["supplier"], "kind": "accept"},
        ),
        # the request routed to the supplier: before routing it would not see one (404)
        only({"supplier": 202}, 403, **NOT_SEE_ROUTED),
    ),
    ("intake", "post", R1 + "/amendments"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            _r1(R1)(w) + "/amendments",
            json={"issued_by": PARTY["requester"], "kind": "schedule_change"},
        ),
        only({"requester": 202}, 403, **NOT_SEE_R1),
    ),
    ("intake", "post", R1 + "/cancellation"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            _r1(R1)(w) + "/cancellation",
            json={"issued_by": PARTY["requester"]},
        ),
        only({"requester": 202}, 403, **NOT_SEE_R1),
    ),
    ("intake", "post", R1 + "/determination"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            _r1(R1)(w) + "/determination",
            json={
                "authority_party_id": PARTY["determination_authority"],
                "approved": True,
                "reference": "IBP-1",
            },
        ),
        only({"determination_authority": 202}, 403, **NOT_SEE_R1),
    ),
    ("intake", "post", R1 + "/authorization"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            f"/v1/priority-requests/{w.awaiting_doc}/authorization",
            json={
                "authority_party_id": PARTY["rating_authority"],
                "authorized": True,
                "reference": "BIS-1",
            },
        ),
        # the other request: it awaits Commerce, DoD never had it, and it is not yet the
        # supplier's (not routed)
        only(
            {"rating_authority": 202},
            403,
            determination_authority=404,
            supplier=404,
            other_requester=404,
        ),
    ),
    ("intake", "get", R1 + "/commands/{command_id}"): (
        lambda w, r: w.call("intake", r, "GET", f"{_r1(R1)(w)}/commands/{w.submit_command}"),
        only(dict.fromkeys(SEE_R1, 200), 404),
    ),
    ("intake", "get", R1 + "/answer-options"): (
        lambda w, r: w.call("intake", r, "GET", _r1(R1)(w) + "/answer-options"),
        only(dict.fromkeys(SEE_R1, 200), 404),
    ),
    # the operator's replay finds no dead letter here (the router does not run): it replays none
    ("intake", "post", "/v1/dead-letters/{topic}/replay"): (
        lambda w, r: w.call("intake", r, "POST", "/v1/dead-letters/sosa.requests.v1/replay"),
        only({"operator": 200}, 403),
    ),
    ("intake", "get", "/v1/suppliers/{supplier_id}/work-order"): (
        lambda w, r: w.call("intake", r, "GET", f"/v1/suppliers/{PARTY['supplier']}/work-order"),
        only({"supplier": 200, "operator": 200}, 404),
    ),
    ("intake", "get", "/v1/me"): (lambda w, r: w.call("intake", r, "GET", "/v1/me"), everyone(200)),
    # everyone may ask; each counts only what it may see (tests/e2e/test_dashboard.py)
    ("intake", "get", "/v1/dashboard/summary"): (
        lambda w, r: w.call("intake", r, "GET", "/v1/dashboard/summary"),
        everyone(200),
    ),
    ("intake", "get", "/v1/dashboard/pipeline"): (
        lambda w, r: w.call("intake", r, "GET", "/v1/dashboard/pipeline"),
        only({"operator": 200}, 403),
    ),
    # every party reads the postures in force; only operators set one (peacetime: harmless)
    ("intake", "get", "/v1/posture"): (
        lambda w, r: w.call("intake", r, "GET", "/v1/posture"),
        everyone(200),
    ),
    ("intake", "put", "/v1/posture/{scope}"): (
        lambda w, r: w.call(
            "intake",
            r,
            "PUT",
            "/v1/posture/global",
            json={"posture": "peacetime", "reason": "authorization matrix"},
        ),
        only({"operator": 202}, 403),
    ),
    # every party may ask; each figure counts only the requests it may see (test_analytics.py)
    **{
        ("intake", "get", f"/v1/analytics/{figure}"): (
            (lambda f: lambda w, r: w.call("intake", r, "GET", f"/v1/analytics/{f}"))(figure),
            everyone(200),
        )
        for figure in (
            "concentration",
            "redundancy-gaps",
            "rates",
            "answer-times",
            "counter-offers",
        )
    },
    ("intake", "post", "/v1/parties"): (
        lambda w, r: w.call(
            "intake",
            r,
            "POST",
            "/v1/parties",
            json={"party_id": f"mx-new-{uuid.uuid4().hex[:8]}", "name": "N", "roles": ["supplier"]},
        ),
        only({"operator": 201}, 403),
    ),
    ("intake", "get", "/v1/parties"): (
        lambda w, r: w.call("intake", r, "GET", "/v1/parties"),
        only({"operator": 200}, 403),
    ),
    ("intake", "get", "/v1/parties/{party_id}"): (
        lambda w, r: w.call("intake", r, "GET", f"/v1/parties/{PARTY['supplier']}"),
        only({"operator": 200}, 403),
    ),
    ("intake", "patch", "/v1/parties/{party_id}"): (
        lambda w, r: w.call(
            "intake", r, "PATCH", f"/v1/parties/{w.scratch['party']}", json={"name": "Renamed"}
        ),
        only({"operator": 200}, 403),
    ),
    ("intake", "post", "/v1/parties/{party_id}/api-keys"): (
        lambda w, r: w.call("intake", r, "POST", f"/v1/parties/{w.scratch['party']}/api-keys"),
        only({"operator": 201}, 403),
    ),
    ("intake", "delete", "/v1/parties/{party_id}/api-keys/{key_id}"): (
        None,  # type: ignore[dict-item] - filled below: it needs a fresh key per call
        only({"operator": 204}, 403),
    ),
    # ---------------- notifier ----------------
    ("notifier", "post", "/v1/endpoints"): (
        lambda w, r: w.call(
            "notifier", r, "POST", "/v1/endpoints", json={"url": w.scratch["hook"]}
        ),
        everyone(201),
    ),
    ("notifier", "get", "/v1/endpoints"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/endpoints"),
        everyone(200),
    ),
    ("notifier", "get", "/v1/endpoints/{endpoint_id}"): (
        lambda w, r: w.call("notifier", r, "GET", f"/v1/endpoints/{w.scratch['endpoint']}"),
        only({"requester": 200, "operator": 200}, 404),
    ),
    ("notifier", "patch", "/v1/endpoints/{endpoint_id}"): (
        lambda w, r: w.call(
            "notifier",
            r,
            "PATCH",
            f"/v1/endpoints/{w.scratch['endpoint']}",
            json={"description": f"by {r}"},
        ),
        only({"requester": 200, "operator": 200}, 404),
    ),
    ("notifier", "delete", "/v1/endpoints/{endpoint_id}"): (
        None,  # type: ignore[dict-item] - filled below
        only({"requester": 204, "operator": 204}, 404),
    ),
    ("notifier", "post", "/v1/endpoints/{endpoint_id}/secret/rotate"): (
        lambda w, r: w.call(
            "notifier", r, "POST", f"/v1/endpoints/{w.scratch['endpoint']}/secret/rotate"
        ),
        only({"requester": 200, "operator": 200}, 404),
    ),
    ("notifier", "post", "/v1/endpoints/{endpoint_id}/test"): (
        lambda w, r: w.call("notifier", r, "POST", f"/v1/endpoints/{w.scratch['endpoint']}/test"),
        only({"requester": 202, "operator": 202}, 404),
    ),
    ("notifier", "post", "/v1/email-recipients"): (
        lambda w, r: w.call(
            "notifier", r, "POST", "/v1/email-recipients", json={"address": "a@b.example"}
        ),
        everyone(201),
    ),
    ("notifier", "get", "/v1/email-recipients"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/email-recipients"),
        everyone(200),
    ),
    ("notifier", "patch", "/v1/email-recipients/{recipient_id}"): (
        lambda w, r: w.call(
            "notifier",
            r,
            "PATCH",
            f"/v1/email-recipients/{w.scratch['recipient']}",
            json={"description": f"by {r}"},
        ),
        only({"requester": 200, "operator": 200}, 404),
    ),
    ("notifier", "delete", "/v1/email-recipients/{recipient_id}"): (
        None,  # type: ignore[dict-item] - filled below
        only({"requester": 204, "operator": 204}, 404),
    ),
    ("notifier", "get", "/v1/deliveries"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/deliveries"),
        everyone(200),
    ),
    # everyone may ask; each sees only its own endpoints' failures (tests/e2e/test_dashboard.py)
    ("notifier", "get", "/v1/delivery-failures"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/delivery-failures"),
        everyone(200),
    ),
    ("notifier", "get", "/v1/deliveries/{delivery_id}"): (
        lambda w, r: w.call("notifier", r, "GET", f"/v1/deliveries/{w.scratch['delivery']}"),
        only({"requester": 200, "operator": 200}, 404),
    ),
    ("notifier", "post", "/v1/deliveries/{delivery_id}/retry"): (
        lambda w, r: w.call("notifier", r, "POST", f"/v1/deliveries/{w.scratch['delivery']}/retry"),
        only({"requester": 202, "operator": 202}, 404),
    ),
    ("notifier", "post", "/v1/deliveries/recover"): (
        lambda w, r: w.call(
            "notifier",
            r,
            "POST",
            "/v1/deliveries/recover",
            json={"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
        ),
        everyone(200),
    ),
    ("notifier", "get", "/v1/stream"): (_stream, everyone(200)),
    ("notifier", "get", "/v1/me"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/me"),
        everyone(200),
    ),
    # every party reads the catalog; the operators' notices are listed to operators only
    ("notifier", "get", "/v1/event-types"): (
        lambda w, r: w.call("notifier", r, "GET", "/v1/event-types"),
        everyone(200),
    ),
}


async def _revoke(w: World, r: str) -> httpx.Response:
    party, key_id = await _key_to_revoke(w)
    return await w.call("intake", r, "DELETE", f"/v1/parties/{party}/api-keys/{key_id}")


async def _delete_endpoint(w: World, r: str) -> httpx.Response:
    return await w.call("notifier", r, "DELETE", f"/v1/endpoints/{await _own_endpoint(w, r)}")


async def _delete_recipient(w: World, r: str) -> httpx.Response:
    recipient = await _own_recipient(w, r)
    return await w.call("notifier", r, "DELETE", f"/v1/email-recipients/{recipient}")


for _key, _call in [
    (("intake", "delete", "/v1/parties/{party_id}/api-keys/{key_id}"), _revoke),
    (("notifier", "delete", "/v1/endpoints/{endpoint_id}"), _delete_endpoint),
    (("notifier", "delete", "/v1/email-recipients/{recipient_id}"), _delete_recipient),
]:
    ROWS[_key] = (_call, ROWS[_key][1])


def _routes(service: str, openapi: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (service, method, path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if (method, path) not in PUBLIC
    }


def test_every_route_has_a_row() -> None:
    intake = intake_app(IntakeSettings(intake_database_url="sqlite+aiosqlite:///:memory:"))
    notifier = notifier_app(NotifierSettings(notifier_database_url="sqlite+aiosqlite:///:memory:"))
    routes = _routes("intake", intake.openapi()) | _routes("notifier", notifier.openapi())
    assert routes == set(ROWS)
    for expected in (e for _, e in ROWS.values()):
        assert set(expected) == set(ROLES) - {"anonymous"}


# --- the world the matrix runs in -------------------------------------------------------------


@pytest.fixture
async def world(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[World]:
    services = ["intake", "notifier"]
    async with started(services, kafka=kafka_bootstrap, databases=databases, logs=tmp_path) as s:
        w = World(stack=s, keys={"operator_bootstrap": BOOTSTRAP_OPERATOR_KEY})
        w.keys["operator"] = BOOTSTRAP_OPERATOR_KEY  # until the operator party has its own
        for role, party in PARTY.items():
            made = await w.call(
                "intake",
                "operator",
                "POST",
                "/v1/parties",
                json={"party_id": party, "name": role, "roles": [GRANTED[role]], **KIND[role]},
            )
            assert made.status_code == 201, made.text
        keys = {}
        for role, party in PARTY.items():
            issued = await w.call("intake", "operator", "POST", f"/v1/parties/{party}/api-keys")
            assert issued.status_code == 201, issued.text
            keys[role] = issued.json()["api_key"]
        w.keys.update(keys)
        await _known_to_the_notifier(w)
        w.scratch["party"] = await _fresh_party(w)
        w.scratch["hook"] = f"http://127.0.0.1:{s.ports['router']}/nothing-listens-here"
        w.scratch["endpoint"] = await _own_endpoint(w, "requester")
        w.scratch["recipient"] = await _own_recipient(w, "requester")
        await _requests(w)  # after the endpoint: its outcomes make a delivery to it
        w.scratch["delivery"] = await _a_delivery(w)
        yield w


async def _known_to_the_notifier(w: World) -> None:
    async with asyncio.timeout(30):
        for role in PARTY:
            while (await w.call("notifier", role, "GET", "/v1/me")).status_code != 200:  # noqa: ASYNC110 - polls the API
                await asyncio.sleep(0.2)


async def _requests(w: World) -> None:
    ids = []
    for _ in range(3):
        posted = await w.call(
            "intake", "requester", "POST", "/v1/priority-requests", json=body_for(w)
        )
        assert posted.status_code == 202, posted.text
        ids.append(posted.json()["request_id"])
        w.submit_command = w.submit_command or posted.json()["command_id"]
    w.awaiting_dod, w.awaiting_doc, w.routed = ids

    def parties(authority: str) -> Parties:
        return Parties(
            requester=PARTY["requester"],
            supplier=PARTY["supplier"],
            liaison=PARTY["partner_liaison"],
            pending_authority=PARTY[authority],
        )

    await publish_outcomes(
        w.stack,
        [
            transitioned(
                w.awaiting_dod,
                1,
                RequestState.AWAITING_DETERMINATION,
                RequestState.RECEIVED,
                parties=parties("determination_authority"),
            ),
            transitioned(
                w.awaiting_doc,
                1,
                RequestState.AWAITING_AUTHORIZATION,
                RequestState.RECEIVED,
                parties=parties("rating_authority"),
            ),
            transitioned(
                w.routed,
                1,
                RequestState.ROUTED,
                RequestState.RECEIVED,
                parties=Parties(
                    requester=PARTY["requester"],
                    supplier=PARTY["supplier"],
                    liaison=PARTY["partner_liaison"],
                ),
            ),
        ],
    )
    async with asyncio.timeout(30):
        for request_id in ids:
            while True:
                view = await w.call(
                    "intake", "operator", "GET", f"/v1/priority-requests/{request_id}"
                )
                if view.json().get("last_sequence") == 1:
                    break
                await asyncio.sleep(0.1)


async def _a_delivery(w: World) -> str:
    """The requester's endpoint gets a delivery of the outcomes above (it fails: nothing
    listens there)."""
    async with asyncio.timeout(30):
        while True:
            listed = await w.call("notifier", "requester", "GET", "/v1/deliveries")
            if listed.json():
                return str(listed.json()[0]["delivery_id"])
            await asyncio.sleep(0.2)


# --- the matrix -------------------------------------------------------------------------------


async def test_the_authorization_matrix(world: World) -> None:
    failures = []
    for (service, method, path), (call, expected) in ROWS.items():
        for role in ROLES:
            if role == "anonymous":
                response = await world.call(service, role, method.upper(), path)
                wanted = 401
            else:
                response = await call(world, role)
                wanted = expected[role]
            if response.status_code != wanted:
                failures.append(
                    f"{method.upper()} {path} as {role}: {response.status_code} != {wanted}"
                )
            elif wanted == 401:
                assert response.headers["www-authenticate"] == "Bearer"
    assert not failures, "\n".join(failures)


async def test_lists_show_each_party_only_its_own(world: World) -> None:
    async def listed(role: str) -> set[str]:
        page = await world.call("intake", role, "GET", "/v1/priority-requests")
        return {item["request_id"] for item in page.json()["items"]}

    every = {world.awaiting_dod, world.awaiting_doc, world.routed}
    assert await listed("operator") >= every
    for role in ("requester", "partner_liaison"):
        assert await listed(role) == every, role
    # the supplier lists only the request routed to it: the others are not yet orders
    assert await listed("supplier") == {world.routed}
    assert await listed("determination_authority") == {world.awaiting_dod}
    assert await listed("rating_authority") == {world.awaiting_doc}
    assert await listed("other_requester") == set()

    async def parties_of_endpoints(role: str) -> set[str]:
        found = await world.call("notifier", role, "GET", "/v1/endpoints")
        return {e["party_id"] for e in found.json()}

    assert await parties_of_endpoints("requester") == {PARTY["requester"]}
    assert await parties_of_endpoints("supplier") <= {PARTY["supplier"]}
    deliveries = await world.call("notifier", "supplier", "GET", "/v1/deliveries")
    assert all(d["party_id"] == PARTY["supplier"] for d in deliveries.json())


async def test_a_body_naming_another_party_is_refused(world: World) -> None:
    """A supplier cannot subscribe for another party; a requester cannot submit as another."""
    other = await world.call(
        "notifier",
        "supplier",
        "POST",
        "/v1/endpoints",
        json={"url": world.scratch["hook"], "party_id": PARTY["requester"]},
    )
    assert other.status_code == 403
    as_other = await world.call(
        "intake", "other_requester", "POST", "/v1/priority-requests", json=body_for(world)
    )
    assert as_other.status_code == 403
    assert as_other.headers["content-type"] == "application/problem+json"


async def test_a_revoked_key_stops_working_on_both_services(world: World) -> None:
    party = world.scratch["party"]
    issued = await world.call("intake", "operator", "POST", f"/v1/parties/{party}/api-keys")
    key, key_id = issued.json()["api_key"], issued.json()["key_id"]
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=10) as client:
        async with asyncio.timeout(30):
            while (  # noqa: ASYNC110 - polls the API
                await client.get(f"{world.stack.url('notifier')}/v1/me", headers=headers)
            ).status_code != 200:
                await asyncio.sleep(0.2)
        revoked = await world.call(
            "intake", "operator", "DELETE", f"/v1/parties/{party}/api-keys/{key_id}"
        )
        assert revoked.status_code == 204
        assert (
            await client.get(f"{world.stack.url('intake')}/v1/me", headers=headers)
        ).status_code == 401
        async with asyncio.timeout(30):
            while (  # noqa: ASYNC110 - polls the API
                await client.get(f"{world.stack.url('notifier')}/v1/me", headers=headers)
            ).status_code != 401:
                await asyncio.sleep(0.2)
