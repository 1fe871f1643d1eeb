"""The notifier's CORS: intake's pages (dashboard, workspace) may call its API from a browser,
with the credential and a JSON body; no other origin may."""

from __future__ import annotations

import httpx
import pytest

from sosa.notifier.app import create_app
from sosa.notifier.settings import NotifierSettings

INTAKE = "http://127.0.0.1:8000"


async def preflight(origin: str, method: str) -> httpx.Response:
    app = create_app(
        NotifierSettings(
            notifier_database_url="sqlite+aiosqlite:///:memory:", cors_allow_origins=[INTAKE]
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        return await client.options(
            "/v1/endpoints",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_intake_s_pages_may_call_with_a_credential_and_a_json_body(method: str) -> None:
    answer = await preflight(INTAKE, method)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == INTAKE
    assert method in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


async def test_another_origin_may_not() -> None:
    answer = await preflight("https://elsewhere.example", "POST")
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
