"""`Idempotency-Key` without a database: what makes two requests the same, how the header is
read and refused, how a replay answers, and that the POSTs document the header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from sosa.contracts import commands
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra import problems
from sosa.intake.app import create_app
from sosa.intake.commands import idempotency
from sosa.intake.commands.idempotency import (
    FINGERPRINT_V2,
    IdempotencyKeyDep,
    Replay,
    fingerprint,
    fingerprint_v1,
    same_request,
)
from sosa.intake.settings import IntakeSettings
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

SUBMIT = "POST /v1/priority-requests"
DETAILS = PriorityRequestDetails.model_validate(DPAS_REQUEST)


def test_the_same_body_in_another_order_is_the_same_request() -> None:
    reordered = PriorityRequestDetails.model_validate(dict(reversed(list(DPAS_REQUEST.items()))))
    assert fingerprint(SUBMIT, reordered) == fingerprint(SUBMIT, DETAILS)


def test_another_body_or_another_path_is_another_request() -> None:
    other = PriorityRequestDetails.model_validate({**DPAS_REQUEST, "contract_number": "N-2"})
    assert fingerprint(SUBMIT, other) != fingerprint(SUBMIT, DETAILS)
    cancel = commands.CancellationDetails(issued_by="dod-navsea", reason="No longer needed.")
    assert fingerprint("POST /v1/priority-requests/a/cancellation", cancel) != fingerprint(
        "POST /v1/priority-requests/b/cancellation", cancel
    )


def test_the_first_form_is_computed_as_before_25() -> None:
    """The form keys stored before #25 hold (this value from the code of 9ca94cd): a retry
    across the upgrade is compared with it."""
    old = "524a944b579496fcddfa0b97b61fb46ad678fc040df51ecda603445ab6c5f03c"
    assert fingerprint_v1(SUBMIT, DETAILS) == old
    assert same_request(old, SUBMIT, DETAILS)
    other = PriorityRequestDetails.model_validate({**DPAS_REQUEST, "contract_number": "N-2"})
    assert not same_request(old, SUBMIT, other)
    assert not same_request(old, "POST /v1/priority-requests/r/cancellation", DETAILS)


def test_the_new_form_carries_its_version_and_fits_the_column() -> None:
    new = fingerprint(SUBMIT, DETAILS)
    assert new.startswith(FINGERPRINT_V2)
    assert len(new) <= 64  # idempotency_keys.fingerprint is a String(64)
    assert same_request(new, SUBMIT, DETAILS)
    assert not same_request(
        fingerprint_v1(SUBMIT, DETAILS),
        SUBMIT,
        DETAILS.model_copy(update={"contract_number": "N-2"}),
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A bare app that echoes the key it was given, or replays a stored answer."""
    app = FastAPI()
    problems.install(app)
    idempotency.install(app)

    @app.post("/echo/{anything}")
    async def echo(anything: str, key: IdempotencyKeyDep) -> dict[str, Any]:
        return {"key": key.value if key else None, "operation": key.operation if key else None}

    @app.post("/replay")
    async def replay() -> None:
        raise Replay(202, {"request_id": "r1"}, {"Location": "/v1/priority-requests/r1"})

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


async def test_the_key_and_the_operation_it_was_sent_to(client: httpx.AsyncClient) -> None:
    answer = (await client.post("/echo/x", headers={"Idempotency-Key": "k-1"})).json()
    assert answer == {"key": "k-1", "operation": "POST /echo/x"}
    assert (await client.post("/echo/x")).json()["key"] is None


async def test_a_quoted_key_is_unquoted(client: httpx.AsyncClient) -> None:
    # the IETF draft writes the key as a structured-field string
    response = await client.post("/echo/x", headers={"Idempotency-Key": '"k-1"'})
    assert response.json()["key"] == "k-1"


@pytest.mark.parametrize("bad", ["", "with space", "x" * 256, "é".encode()])
async def test_a_malformed_key_is_a_problem_naming_the_header(
    client: httpx.AsyncClient, bad: str | bytes
) -> None:
    response = await client.post("/echo/x", headers={"Idempotency-Key": bad})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]


async def test_a_replay_is_the_first_answer_marked_as_replayed(client: httpx.AsyncClient) -> None:
    response = await client.post("/replay")
    assert response.status_code == 202
    assert response.json() == {"request_id": "r1"}
    assert response.headers["location"] == "/v1/priority-requests/r1"
    assert response.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/priority-requests",
        *(
            f"/v1/priority-requests/{{request_id}}/{what}"
            for what in (
                "responses",
                "amendments",
                "cancellation",
                "determination",
                "authorization",
            )
        ),
    ],
)
def test_every_post_that_stores_documents_the_header(path: str) -> None:
    spec = create_app(IntakeSettings(intake_database_url="sqlite+aiosqlite:///:memory:")).openapi()
    parameters = spec["paths"][path]["post"]["parameters"]
    header = next(p for p in parameters if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert not header["required"]
    assert "first answer" in header["description"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/priority-requests",
        "/v1/a%20b",
        "/v1/a?b",
        "/v1/a#b",
        "/v1/a\\b",
        "//v1/double",
        "/v1/é",
    ],
)
def test_the_fingerprints_path_is_the_one_starlette_gives(path: str) -> None:
    """The operation's path is read from the ASGI scope without building the URL, and is the
    same text as `request.url.path`: keys stored before that change still replay."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"x=1",
        "headers": [(b"host", b"intake.example:8000")],
        "scheme": "http",
        "server": ("intake.example", 8000),
    }
    request = Request(scope)
    assert idempotency._path_of(request) == request.url.path
