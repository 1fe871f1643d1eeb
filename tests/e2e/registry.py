"""The parties the end-to-end tests, the fault suite and the benchmarks play, as an operator
registers them at intake: intake takes the facts the rules use about a party (its kind, its
country, a supplier's time zone and Code-of-Conduct status) from this registry, not from the
request body (#23), and refuses a requester whose attributes no operator has set.

`Stack.wait_ready("intake")` registers them with the bootstrap operator key, so every stack a
test starts knows them. Suppliers are registered without a time zone or signatory status, so
that the tests' bodies may state those (the registry's known facts win when it has them).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import httpx

from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY

PARTIES: Final[dict[str, dict[str, Any]]] = {
    "dod-navsea": {"roles": ["requester"], "kind": "us_dod"},
    "dod-army": {"roles": ["requester"], "kind": "us_dod"},
    # the dashboard's second requester (its body says us_dod)
    "mod-india-dgaq": {"roles": ["requester"], "kind": "us_dod"},
    "hostile-requester": {"roles": ["requester"], "kind": "us_dod"},
    "in-mod-dga": {"roles": ["requester"], "kind": "partner_ministry", "country": "IN"},
    "acme-valves": {"roles": ["supplier"], "kind": "us_supplier"},
    "bharat-forge": {"roles": ["supplier"], "kind": "partner_supplier", "country": "IN"},
    "us-dod-ibp": {"roles": ["determination_authority"], "kind": "determination_authority"},
    "us-doc-bis": {"roles": ["rating_authority"], "kind": "rating_authority"},
}


async def register(
    intake_url: str,
    parties: dict[str, dict[str, Any]] = PARTIES,
    *,
    operator_key: str = BOOTSTRAP_OPERATOR_KEY,
) -> None:
    """Create each party with its attributes (one already there is left as it is)."""
    headers = {"Authorization": f"Bearer {operator_key}"}
    async with httpx.AsyncClient(base_url=intake_url, headers=headers, timeout=30) as client:

        async def one(party_id: str, attributes: dict[str, Any]) -> None:
            body = {"party_id": party_id, "name": party_id, **attributes}
            made = await client.post("/v1/parties", json=body)
            assert made.status_code in {201, 409}, made.text

        await asyncio.gather(*(one(p, a) for p, a in parties.items()))
