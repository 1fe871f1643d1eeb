"""Resilience analytics through the running services: the figures over what the caller may see,
a redundancy gap that closes when a second supplier accepts, and the CSV export."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.credentials import OPERATOR, ActingParty, token
from tests.e2e.intake_support import wait_for_view
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(120)]
OPERATOR_AUTH = {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"}
ITEM = "Periscope mast seal"  # an item no other test names


async def accepted(client: httpx.AsyncClient, stack: Stack, supplier: str, n: int) -> str:
    body: dict[str, Any] = {
        **DPAS_REQUEST,
        "supplier": {"party_id": supplier, "name": supplier, "country": "US"},
        "contract_number": f"N00024-26-C-07{n:02d}",
        "items": [{"description": ITEM, "quantity": "4"}],
    }
    posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=body)
    assert posted.status_code == 202, posted.text
    url = f"{stack.url('intake')}/v1/priority-requests/{posted.json()['request_id']}"
    async with httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as reader:
        await wait_for_view(reader, url, lambda v: v.get("state") == "routed")
        answer = await client.post(
            f"{url}/responses", json={"supplier_party_id": supplier, "kind": "accept"}
        )
        assert answer.status_code == 202, answer.text
        await wait_for_view(reader, url, lambda v: v.get("state") == "accepted")
    return url


async def gaps(client: httpx.AsyncClient, stack: Stack) -> list[dict[str, Any]]:
    found = await client.get(
        f"{stack.url('intake')}/v1/analytics/redundancy-gaps", params={"by": "item"}
    )
    assert found.status_code == 200, found.text
    return [g for g in found.json()["rows"] if g["key"] == ITEM.lower()]


async def test_a_gap_closes_when_a_second_supplier_accepts_and_figures_export(
    stack: Stack,
) -> None:
    intake = stack.url("intake")
    async with (
        httpx.AsyncClient(timeout=10, auth=ActingParty()) as parties,
        httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as operator,
    ):
        await accepted(parties, stack, "acme-valves", 1)
        (gap,) = await gaps(operator, stack)
        assert gap["accepting"] == ["acme-valves"]
        await accepted(parties, stack, "valveco", 2)
        assert await gaps(operator, stack) == []

        shares = await operator.get(f"{intake}/v1/analytics/concentration", params={"by": "item"})
        (row,) = [r for r in shares.json()["rows"] if r["key"] == ITEM.lower()]
        assert row["shares"] == {"acme-valves": 0.5, "valveco": 0.5}
        assert row["hhi"] == 0.5
        assert "sum of squared shares" in shares.json()["method"]

        csv = await operator.get(
            f"{intake}/v1/analytics/concentration", params={"by": "item", "format": "csv"}
        )
        assert csv.headers["content-type"].startswith("text/csv")
        assert f"{ITEM.lower()},2," in csv.text
        assert csv.text.startswith("# concentration: ")

        # a party sees figures over its own requests only: this supplier has none
        stranger = {"Authorization": f"Bearer {token('nobody-inc', 'supplier')}"}
        async with httpx.AsyncClient(timeout=10, headers=stranger) as other:
            theirs = await other.get(f"{intake}/v1/analytics/rates")
        assert theirs.status_code == 200
        assert theirs.json()["requests"] == 0
        bad = await operator.get(f"{intake}/v1/analytics/rates", params={"group_by": "moon"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "group_by"
