"""`Idempotency-Key` over HTTP, intake as a process on PostgreSQL: a retry gets the first answer
and stores nothing, the key on another request is a 422 naming the header, and concurrent
retries with one key store one request; the posture PUT takes the same accept path."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.credentials import OPERATOR, ActingParty, token
from tests.e2e.intake_support import read_commands, row_counts, started
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]
BASE = "/v1/priority-requests"
CANCEL = {"issued_by": "dod-navsea", "reason": "No longer needed."}


@pytest.fixture
async def intake(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    async with started(["intake"], kafka=kafka_bootstrap, databases=databases, logs=tmp_path) as s:
        yield s


@pytest.fixture
async def client(intake: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=intake.url("intake"), timeout=10, auth=ActingParty()
    ) as http:
        yield http


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def test_a_retried_submission_gets_the_first_answer_and_stores_nothing(
    intake: Stack, client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    headers = key()
    first = await client.post(BASE, json=DPAS_REQUEST, headers=headers)
    again = await client.post(BASE, json=DPAS_REQUEST, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    counts = await row_counts(databases["intake"])
    assert (counts["commands"], counts["request_views"]) == (1, 1)
    # one command reaches the router, whatever the retries
    published = await read_commands(intake, lambda seen: len(seen) >= 1)
    await asyncio.sleep(1)
    assert [c.id for c in published] == [first.json()["command_id"]]


async def test_the_key_of_another_request_is_a_problem_naming_the_header(
    client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    headers = key()
    assert (await client.post(BASE, json=DPAS_REQUEST, headers=headers)).status_code == 202
    other = {**DPAS_REQUEST, "contract_number": "N00024-26-C-0002"}
    refused = await client.post(BASE, json=other, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["Idempotency-Key"]
    assert (await row_counts(databases["intake"]))["commands"] == 1


async def test_a_retried_command_is_stored_once(
    client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    request_id = (await client.post(BASE, json=DPAS_REQUEST)).json()["request_id"]
    headers = key()
    url = f"{BASE}/{request_id}/cancellation"
    first = await client.post(url, json=CANCEL, headers=headers)
    again = await client.post(url, json=CANCEL, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json()["command_id"] == first.json()["command_id"]
    assert again.headers["location"] == first.headers["location"]
    # the same key and body for another request (another path) is another request
    other_id = (await client.post(BASE, json=DPAS_REQUEST)).json()["request_id"]
    elsewhere = await client.post(f"{BASE}/{other_id}/cancellation", json=CANCEL, headers=headers)
    assert elsewhere.status_code == 422
    assert [e["field"] for e in elsewhere.json()["errors"]] == ["Idempotency-Key"]
    assert (await row_counts(databases["intake"]))["commands"] == 3  # 2 submits, 1 cancellation


async def test_concurrent_retries_with_one_key_store_one_request(
    client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    headers = key()
    answers = await asyncio.gather(
        *(client.post(BASE, json=DPAS_REQUEST, headers=headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({a.json()["request_id"] for a in answers}) == 1
    assert sum(1 for a in answers if "idempotent-replayed" in a.headers) == 7
    assert (await row_counts(databases["intake"]))["commands"] == 1


async def test_without_a_key_each_post_is_a_new_request(
    client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    answers = [await client.post(BASE, json=DPAS_REQUEST) for _ in range(2)]
    assert len({a.json()["request_id"] for a in answers}) == 2
    assert (await row_counts(databases["intake"]))["commands"] == 2


async def test_a_retried_posture_put_gets_the_first_answer_and_another_body_is_refused(
    intake: Stack, databases: dict[str, str]
) -> None:
    operator = {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"}
    async with httpx.AsyncClient(
        base_url=intake.url("intake"), timeout=10, headers=operator
    ) as http:
        headers = key()
        body = {"posture": "emergency", "reason": "supply shock exercise"}
        first = await http.put("/v1/posture/SE", json=body, headers=headers)
        again = await http.put("/v1/posture/SE", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (202, 202), again.text
        assert again.json() == first.json()
        assert (first.json()["posture"], first.json()["previous"]) == ("emergency", "peacetime")
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert (await row_counts(databases["intake"]))["commands"] == 1
        # the same key with another body, or for another scope (path), is refused
        other = {"posture": "armed_conflict", "reason": "supply shock exercise"}
        for url, sent in (("/v1/posture/SE", other), ("/v1/posture/NL", body)):
            refused = await http.put(url, json=sent, headers=headers)
            assert refused.status_code == 422, refused.text
            assert [e["field"] for e in refused.json()["errors"]] == ["Idempotency-Key"]
        assert (await row_counts(databases["intake"]))["commands"] == 1
        # a new key is a new change, made over the posture now in force
        moved = await http.put("/v1/posture/SE", json=other, headers=key())
        assert moved.status_code == 202, moved.text
        assert (moved.json()["posture"], moved.json()["previous"]) == (
            "armed_conflict",
            "emergency",
        )
        shown = (await http.get("/v1/posture")).json()
        assert [(p["scope"], p["posture"]) for p in shown["partners"]] == [("SE", "armed_conflict")]
    published = await read_commands(intake, lambda seen: len(seen) >= 2)
    await asyncio.sleep(1)
    assert [c.id for c in published] == [first.json()["command_id"], moved.json()["command_id"]]


async def test_a_retry_by_the_other_handler_of_submit_gets_the_first_answer(
    client: httpx.AsyncClient, databases: dict[str, str]
) -> None:
    """Submit's usual request is taken straight through (`Content-Type: application/json`,
    api/submit_route.py), one with a `+json` type by FastAPI's handler: a retry by the other one
    replays the first answer, so both validate a body alike, a quantity written with an exponent
    included (pydantic's JSON mode makes 1e2 another Decimal than FastAPI's validation does)."""
    body = json.dumps({**DPAS_REQUEST, "items": [{"description": "Gate valve", "quantity": 7}]})
    body = body.replace('"quantity": 7', '"quantity": 1e2')
    straight = {"Content-Type": "application/json"}
    by_fastapi = {"Content-Type": "application/vnd.sosa.request+json"}
    for first_type, retry_type in ((straight, by_fastapi), (by_fastapi, straight)):
        headers = key()
        first = await client.post(BASE, content=body, headers={**headers, **first_type})
        again = await client.post(BASE, content=body, headers={**headers, **retry_type})
        assert (first.status_code, again.status_code) == (202, 202), again.text
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert first.headers["content-type"] == "application/json"
    assert (await row_counts(databases["intake"]))["commands"] == 2
