"""The whole flow over the real broker and database, with each service in its own process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import Receiver
from tests.e2e.credentials import ActingParty
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]

DPAS_REQUEST: dict[str, Any] = {
    "requester": {"party_id": "dod-navsea", "kind": "us_dod", "country": "US"},
    "supplier": {"party_id": "acme-valves", "name": "Acme Valves Inc.", "country": "US"},
    "contract_number": "N00024-26-C-0001",
    "rating": "DO-A3",
    "items": [{"description": "Ball valve, 2 inch", "quantity": "40"}],
    "required_delivery_dates": ["2027-03-01"],
    "authorized_signer": "J. Smith, Contracting Officer",
    "certification_statement": (
        "This is a rated order certified for national defense use, and you are required to "
        "follow all the provisions of the Defense Priorities and Allocations System regulation "
        "(15 CFR 700)."
    ),
}


async def register(client: httpx.AsyncClient, stack: Stack, party: str, url: str) -> str:
    response = await client.post(
        f"{stack.url('notifier')}/v1/endpoints", json={"party_id": party, "url": url}
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    assert secret.startswith("whsec_")
    return secret


async def wait_for_state(
    client: httpx.AsyncClient, url: str, unwanted: str, timeout_s: float = 60
) -> Any:
    async with asyncio.timeout(timeout_s):
        while True:
            body = (await client.get(url)).json()
            if body["state"] != unwanted:
                return body
            await asyncio.sleep(0.2)


async def test_us_request_is_routed_signed_and_readable(stack: Stack, receiver: Receiver) -> None:
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        secret = await register(client, stack, "dod-navsea", receiver.url)

        posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=DPAS_REQUEST)
        assert posted.status_code == 202, posted.text
        request_id = posted.json()["request_id"]
        assert posted.headers["location"] == f"/v1/priority-requests/{request_id}"

        await receiver.wait_for(1)
        headers, body = receiver.received[0]
        Webhook(secret).verify(body, headers)  # raises when the signature does not match
        webhook = json.loads(body)
        assert webhook["type"] == "request.routed"
        assert webhook["data"]["request_id"] == request_id
        assert webhook["data"]["path"] == "dpas"

        view = await wait_for_state(
            client, f"{stack.url('intake')}/v1/priority-requests/{request_id}", "received"
        )
        assert view["state"] == "routed"
        assert view["path"] == "dpas"
        assert [entry["state"] for entry in view["timeline"]] == ["routed"]
        assert view["decision"]["ruleset_version"]
        assert view["decision"]["deadline"] is not None

        log = (
            await client.get(
                f"{stack.url('notifier')}/v1/deliveries", params={"request_id": request_id}
            )
        ).json()
        assert [d["status"] for d in log] == ["delivered"]
        assert log[0]["attempt_log"][0]["status_code"] == 204


async def test_supplier_outside_any_arrangement_is_rejected_with_reason(
    stack: Stack, receiver: Receiver
) -> None:
    request = {
        **DPAS_REQUEST,
        "supplier": {"party_id": "far-away", "name": "Far Away Ltd", "country": "BR"},
    }
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        await register(client, stack, "dod-navsea", receiver.url)
        posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=request)
        assert posted.status_code == 202
        url = f"{stack.url('intake')}/v1/priority-requests/{posted.json()['request_id']}"
        view = await wait_for_state(client, url, "received")
    assert view["state"] == "rejected"
    assert view["path"] == "none"
    assert view["decision"]["findings"], "a rejection must say why"
    assert all(f["citation"] and f["reason"] for f in view["decision"]["findings"])


async def test_partner_supplier_goes_the_voluntary_path(stack: Stack, receiver: Receiver) -> None:
    request = {
        **DPAS_REQUEST,
        "rating": None,
        "supplier": {
            "party_id": "bharat-forge",
            "name": "Bharat Forge",
            "country": "IN",
            "code_of_conduct_signatory": True,
            "timezone": "Asia/Kolkata",
        },
    }
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        await register(client, stack, "bharat-forge", receiver.url)
        posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=request)
        assert posted.status_code == 202
        await receiver.wait_for(1)
        url = f"{stack.url('intake')}/v1/priority-requests/{posted.json()['request_id']}"
        view = await wait_for_state(client, url, "received")
    assert view["path"] == "voluntary"
    assert view["state"] == "routed"


async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
    stack: Stack, databases: dict[str, str]
) -> None:
    bad = {**DPAS_REQUEST, "supplier": {**DPAS_REQUEST["supplier"], "country": "usa"}, "items": []}
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        response = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=bad)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in response.json()["errors"]}
        assert {"supplier.country", "items"} <= fields
        engine = create_async_engine(databases["intake"])
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT count(*) FROM commands"))).scalar_one()
            queued = (
                await connection.execute(
                    text("SELECT count(*) FROM outbox WHERE event_type <> 'sosa.party.v1'")
                )
            ).scalar_one()
        await engine.dispose()
        assert (stored, queued) == (0, 0)
        missing = await client.get(f"{stack.url('intake')}/v1/priority-requests/not-a-request")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
