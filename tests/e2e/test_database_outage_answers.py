"""While a service's database is unreachable, its API answers `503` with `Retry-After` as a
problem document (never a bare `500`), and the service stays up. The database is made to vanish
for real: each service's database is dropped under it (`DROP DATABASE ... WITH (FORCE)` ends its
connections, and new ones are refused)."""

from __future__ import annotations

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.credentials import ActingParty
from tests.e2e.notifier_support import api
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST


async def drop(postgres_admin_url: str, url: str) -> None:
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            name = make_url(url).database
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert problem["status"] == 503
    assert "database is unavailable" in problem["detail"]


async def test_intake_and_notifier_answer_503_while_their_database_is_gone(
    stack: Stack, databases: dict[str, str], postgres_admin_url: str
) -> None:
    for service in ("intake", "notifier"):
        await drop(postgres_admin_url, databases[service])

    async with httpx.AsyncClient(timeout=30, auth=ActingParty()) as client:
        submitted = await client.post(
            f"{stack.url('intake')}/v1/priority-requests", json=DPAS_REQUEST
        )
    assert_unavailable(submitted)
    assert "nothing was stored" in submitted.json()["detail"]

    async with api(stack, DPAS_REQUEST["requester"]["party_id"]) as client:
        listed = await client.get("/v1/endpoints")
    assert_unavailable(listed)

    assert all(process.poll() is None for process in stack.processes.values())
    async with httpx.AsyncClient(timeout=10) as client:
        for service in ("intake", "notifier"):
            ready = await client.get(f"{stack.url(service)}/readyz")
            assert ready.status_code == 503, (service, ready.text)
