"""`sosa overdue` against a running intake: a DX-rated request left unanswered until the router's
clock passes its deadline is listed as overdue, with how many working days late it is."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.credentials import (
    BOOTSTRAP_OPERATOR_KEY,
    ActingParty,
    bearer,
    operator_headers,
)
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


def sosa(
    stack: Stack, *args: str, key: str = BOOTSTRAP_OPERATOR_KEY
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sosa.ops", "overdue", "--intake-url", stack.url("intake"), *args],
        env={**stack.env, "SOSA_OPERATOR_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_an_unanswered_request_is_listed_overdue(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        posted = await client.post(
            f"{stack.url('intake')}/v1/priority-requests", json={**DPAS_REQUEST, "rating": "DX-A3"}
        )
        assert posted.status_code == 202, posted.text
        request_id = posted.json()["request_id"]
        view_url = f"{stack.url('intake')}/v1/priority-requests/{request_id}"
        async with asyncio.timeout(60):
            while (await client.get(view_url)).json().get("state") != "routed":  # noqa: ASYNC110 - polling the API
                await asyncio.sleep(0.2)
        before = await asyncio.to_thread(sosa, stack, "--json", "--within", "0")
        assert before.returncode == 0, before.stderr
        assert request_id not in before.stdout, "not due by the end of today"
        clock = f"{stack.url('router')}/v1/clock/advance"
        # the test clock takes an operator's credential: none is 401, a supplier's 403
        anonymous = await client.post(clock, json={"seconds": 60}, auth=None)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["www-authenticate"] == "Bearer"
        supplier = await client.post(
            clock, json={"seconds": 60}, headers=bearer("acme-valves", "supplier"), auth=None
        )
        assert supplier.status_code == 403, supplier.text
        advanced = await client.post(
            clock, json={"seconds": 30 * 86400}, headers=operator_headers(), auth=None
        )
        assert advanced.status_code == 200, advanced.text
        async with asyncio.timeout(60):
            while (await client.get(view_url)).json().get("state") != "overdue":  # noqa: ASYNC110 - polling the API
                await asyncio.sleep(0.2)

    at = (datetime.now(UTC) + timedelta(days=30)).isoformat()  # the router's time
    listed = await asyncio.to_thread(sosa, stack, "--json", "--at", at)
    assert listed.returncode == 0, listed.stderr
    (standing,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (standing["request_id"], standing["state"], standing["late"]) == (
        request_id,
        "overdue",
        True,
    )
    assert standing["working_days"] < 0
    assert standing["remaining_s"] < 0
    text = await asyncio.to_thread(sosa, stack, "--at", at)
    assert f"{request_id}  overdue" in text.stdout
    assert "overdue by" in text.stdout
    assert text.stdout.splitlines()[-1] == "1 overdue, 0 due within 2 working day(s)"

    async with httpx.AsyncClient(timeout=10) as client, asyncio.timeout(30):
        # two gauges, each on its own 5 s round (the lag's first may precede the assignment)
        router_lag = f'sosa_consumer_lag{{group="{stack.env["SOSA_ROUTER_GROUP"]}"'
        while "sosa_requests_overdue 1.0" not in (  # noqa: ASYNC110 - every 5 s
            metrics := (await client.get(f"{stack.url('router')}/metrics")).text
        ) or (router_lag not in metrics):
            await asyncio.sleep(0.5)
        for service, group in (("intake", "INTAKE_READ_MODEL"), ("notifier", "NOTIFIER")):
            label = f'group="{stack.env[f"SOSA_{group}_GROUP"]}"'
            url = f"{stack.url(service)}/metrics"
            while label not in (await client.get(url)).text:  # noqa: ASYNC110 - every 5 s
                await asyncio.sleep(0.5)

    refused = await asyncio.to_thread(sosa, stack, key="not-a-key")
    assert refused.returncode == 1
    assert "intake answered 401" in refused.stderr
