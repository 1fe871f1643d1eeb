"""The router's test clock (issue #23): mounted only when SOSA_ROUTER_CLOCK_CONTROL is on, and
then only for operators (the shared authenticator: bootstrap key or a JWT; no API keys)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sosa.router.app import create_app
from sosa.router.settings import RouterSettings
from tests.e2e.credentials import AUDIENCE, ISSUER, jwks_file, token

BOOTSTRAP = "b" * 40


def settings(tmp_path: Path, *, clock_control: bool) -> RouterSettings:
    return RouterSettings(
        router_database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
        router_clock_control=clock_control,
        bootstrap_operator_key=BOOTSTRAP,  # type: ignore[arg-type]
        jwks_file=jwks_file(),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )


async def advance(tmp_path: Path, headers: dict[str, str], *, on: bool = True) -> httpx.Response:
    app = create_app(settings(tmp_path, clock_control=on))  # lifespan not run: no broker needed
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        return await client.post("/v1/clock/advance", json={"seconds": 3600}, headers=headers)


async def test_off_by_default_and_then_absent(tmp_path: Path) -> None:
    assert RouterSettings().router_clock_control is False
    answer = await advance(tmp_path, {"Authorization": f"Bearer {BOOTSTRAP}"}, on=False)
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("credential", "status"),
    [
        (None, 401),
        ("sosa_0123456789abcdef_" + "x" * 43, 401),  # an API key: the router knows none
        ("not-a-credential", 401),
        (token("acme-valves", "supplier"), 403),
        (token("dod-navsea", "requester", "determination_authority"), 403),
        (token("sosa-operators", "operator"), 200),
        (BOOTSTRAP, 200),
    ],
)
async def test_only_operators_move_the_test_clock(
    tmp_path: Path, credential: str | None, status: int
) -> None:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    answer = await advance(tmp_path, headers)
    assert answer.status_code == status, answer.text
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.headers["content-type"] == "application/problem+json"
    if status == 200:
        assert answer.json()["now"]
