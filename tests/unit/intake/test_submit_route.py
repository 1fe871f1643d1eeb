"""Submit's route without a database: which requests `SubmitRoute` takes straight through, and
that it reads their bodies as FastAPI's handler does (api/submit_route.py). That every other
request gets FastAPI's answer is what the e2e tests of submit's 4xx answers check."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request
from starlette.types import Message

from sosa.intake.api.requests import router
from sosa.intake.api.submit_route import SubmitRoute, usual_submission
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

BODY = json.dumps(DPAS_REQUEST).encode()
JSON = {"content-type": "application/json"}
(SUBMIT,) = [route for route in router.routes if isinstance(route, SubmitRoute)]


def request(
    headers: dict[str, str], body: bytes, *, overrides: dict[Any, Any] | None = None
) -> Request:
    app = SimpleNamespace(dependency_overrides=overrides or {})
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/priority-requests",
        "query_string": b"",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "app": app,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def as_fastapi_validates(body: bytes) -> Any:
    """The body as FastAPI's handler of this very route validates it."""
    assert SUBMIT.body_field is not None
    value, errors = SUBMIT.body_field.validate(json.loads(body), {}, loc=("body",))
    assert not errors
    return value


@pytest.mark.parametrize(
    "headers",
    [
        JSON,
        {"content-type": "Application/JSON"},
        {"content-type": "application/json; charset=utf-8"},
        {**JSON, "idempotency-key": "k-1"},
        {**JSON, "idempotency-key": "~" * 255},
    ],
)
async def test_the_usual_submission_is_read_as_fastapi_reads_it(headers: dict[str, str]) -> None:
    got = request(headers, BODY)
    details = await usual_submission(got)
    assert details == as_fastapi_validates(BODY)
    # FastAPI's handler, should it be called after, finds the body read
    assert await got.body() == BODY


async def test_a_quantity_with_an_exponent_is_the_decimal_fastapi_makes() -> None:
    body = BODY.replace(b'"quantity": "40"', b'"quantity": 1e2')
    details = await usual_submission(request(JSON, body))
    assert details is not None
    assert str(details.items[0].quantity) == "100.0"
    assert details.model_dump_json() == as_fastapi_validates(body).model_dump_json()
    assert details.items[0].quantity == Decimal(100)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, BODY),  # FastAPI: a body without a type is no JSON (422)
        ({"content-type": "text/plain"}, BODY),
        ({"content-type": "application/vnd.sosa+json"}, BODY),  # accepted by FastAPI's handler
        ({"content-type": "application/json; charset=latin-1"}, BODY),
        (JSON, b""),
        (JSON, b"{"),
        (JSON, b"[]"),
        (JSON, b"\xff\xfe{}"),
        (JSON, b"[" * 100_000),
        (JSON, json.dumps({**DPAS_REQUEST, "extra": 1}).encode()),
        (JSON, json.dumps({**DPAS_REQUEST, "items": []}).encode()),
        ({**JSON, "idempotency-key": ""}, BODY),
        ({**JSON, "idempotency-key": "a b"}, BODY),
        ({**JSON, "idempotency-key": "k" * 256}, BODY),
        ({**JSON, "idempotency-key": "clé"}, BODY),
    ],
)
async def test_anything_unusual_is_left_to_fastapis_handler(
    headers: dict[str, str], body: bytes
) -> None:
    assert await usual_submission(request(headers, body)) is None


async def test_a_dependency_override_leaves_every_submission_to_fastapis_handler() -> None:
    got = request(JSON, BODY, overrides={object(): object})
    assert await usual_submission(got) is None
