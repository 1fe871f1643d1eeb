"""Facts from the registry, not the body (#23, item 1), with the three services as processes.

The attack: a party registered as a partner ministry posted `"requester": {"kind": "us_dod",
"country": "US"}` with rating DX-A1 and got `routed` on path `dpas`, a DX-rated order imposed
on a US firm with no DoD determination and no Commerce authorization. Each row below is a body
and what intake must answer: a refusal naming the field (and nothing stored, queued or shown),
or acceptance, with the facts the body left out filled from the registry.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sosa.contracts import topics
from tests.e2e import registry
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY, ActingParty
from tests.e2e.intake_support import read_topic, row_counts, wait_for_view
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]

OPERATOR = {"Authorization": f"Bearer {BOOTSTRAP_OPERATOR_KEY}"}
PARTIES = {
    "rf-mod-in": {"roles": ["requester"], "kind": "partner_ministry", "country": "IN"},
    "rf-dod": {"roles": ["requester"], "kind": "us_dod"},
    "rf-firm": {"roles": ["supplier"], "kind": "us_supplier", "timezone": "America/Chicago"},
    "rf-nobody": {"roles": ["requester"]},  # registered, its attributes not set yet
}
FIRM = {"party_id": "rf-firm", "name": "RF Firm Inc."}


def body(requester: dict[str, Any], supplier: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**DPAS_REQUEST, "rating": "DX-A1", "requester": requester, "supplier": supplier or FIRM}


REFUSED = [
    # (name, body, status, fields named)
    ("the-attack: a ministry claims to be DoD",
     body({"party_id": "rf-mod-in", "kind": "us_dod", "country": "US"}),
     403, {"requester.kind", "requester.country"}),
    ("a ministry claims only the US as its country",
     body({"party_id": "rf-mod-in", "country": "US"}), 403, {"requester.country"}),
    ("DoD claims to be a partner ministry",
     body({"party_id": "rf-dod", "kind": "partner_ministry"}), 403, {"requester.kind"}),
    ("a requester whose attributes no operator set claims DoD",
     body({"party_id": "rf-nobody", "kind": "us_dod", "country": "US"}), 403,
     {"requester.kind"}),
    ("an unregistered requester claims DoD",
     body({"party_id": "rf-stranger", "kind": "us_dod", "country": "US"}), 403,
     {"requester.kind"}),
    ("the supplier placed abroad",
     body({"party_id": "rf-dod"}, {**FIRM, "country": "DE"}), 422, {"supplier.country"}),
    ("the supplier in another time zone",
     body({"party_id": "rf-dod"}, {**FIRM, "timezone": "Pacific/Honolulu"}), 422,
     {"supplier.timezone"}),
    ("an authority named as the supplier",
     body({"party_id": "rf-dod"}, {"party_id": "us-doc-bis", "name": "BIS", "country": "US"}),
     422, {"supplier.party_id"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("post", "status", "fields"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
async def test_a_body_that_contradicts_the_registry_is_refused_and_changes_nothing(
    shared_stack: Stack,
    post: dict[str, Any],
    status: int,
    fields: set[str],
) -> None:
    await registry.register(shared_stack.url("intake"), PARTIES)
    database = shared_stack.env["SOSA_INTAKE_DATABASE_URL"]
    before = await row_counts(database)
    async with httpx.AsyncClient(
        base_url=shared_stack.url("intake"), timeout=10, auth=ActingParty()
    ) as client:
        answered = await client.post("/v1/priority-requests", json=post)
        assert answered.status_code == status, answered.text
        assert answered.headers["content-type"] == "application/problem+json"
        assert fields <= {e["field"] for e in answered.json()["errors"]}
        tried = await client.post("/v1/priority-requests/evaluate", json=post)
        if post["requester"]["party_id"] in {"rf-nobody", "rf-stranger"}:
            # the dry run asks the rules, which open no path for a self-declared kind
            assert tried.status_code == 200, tried.text
            assert (tried.json()["state"], tried.json()["path"]) == ("rejected", "none")
            findings = tried.json()["decision"]["findings"]
            blocking = [f["rule_id"] for f in findings if f["blocking"]]
            assert blocking == ["PATH_REQUESTER_KIND_UNREGISTERED"]
        else:  # the dry run refuses what a submission would be refused
            assert tried.status_code == status, tried.text
    assert await row_counts(database) == before


async def test_a_correct_body_is_routed_and_one_that_omits_the_facts_gets_the_registry_s(
    shared_stack: Stack,
) -> None:
    await registry.register(shared_stack.url("intake"), PARTIES)
    async with httpx.AsyncClient(
        base_url=shared_stack.url("intake"), timeout=10, auth=ActingParty()
    ) as client:
        correct = body({"party_id": "rf-dod", "kind": "us_dod", "country": "US"})
        posted = await client.post("/v1/priority-requests", json=correct)
        assert posted.status_code == 202, posted.text
        view = await wait_for_view(client, posted.headers["location"], _decided)
        assert (view["state"], view["path"]) == ("routed", "dpas")
        # the deadline is 23:59:59 in the supplier's registered zone, which the body never gave
        deadline = datetime.fromisoformat(view["deadline"]).astimezone(ZoneInfo("America/Chicago"))
        assert deadline.time() == time(23, 59, 59)

        omitted = body({"party_id": "rf-mod-in"}, {"party_id": "rf-firm", "name": "RF Firm"})
        posted = await client.post("/v1/priority-requests", json=omitted)
        assert posted.status_code == 202, posted.text
        view = await wait_for_view(client, posted.headers["location"], _decided)
        assert (view["state"], view["path"]) == ("awaiting_determination", "dpas_via_sosa")
        requester, supplier = view["details"]["requester"], view["details"]["supplier"]
        assert (requester["kind"], requester["country"]) == ("partner_ministry", "IN")
        assert (supplier["country"], supplier["timezone"]) == ("US", "America/Chicago")


async def test_an_operator_sets_the_attributes_audited_and_published(shared_stack: Stack) -> None:
    await registry.register(shared_stack.url("intake"), PARTIES)
    party = "rf-late"
    async with httpx.AsyncClient(
        base_url=shared_stack.url("intake"), timeout=10, headers=OPERATOR
    ) as operator:
        made = await operator.post(
            "/v1/parties", json={"party_id": party, "name": "Late", "roles": ["requester"]}
        )
        assert made.status_code == 201, made.text
        assert made.json()["kind"] is None
        wrong = await operator.patch(
            f"/v1/parties/{party}", json={"kind": "partner_ministry", "country": "CN"}
        )
        assert wrong.status_code == 422
        assert {e["field"] for e in wrong.json()["errors"]} == {"country"}
        changed = await operator.patch(f"/v1/parties/{party}", json={"kind": "us_dod"})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["kind"], changed.json()["country"]) == ("us_dod", "US")
    async with httpx.AsyncClient(
        base_url=shared_stack.url("intake"), timeout=10, auth=ActingParty()
    ) as client:
        # once set, the party may submit
        posted = await client.post("/v1/priority-requests", json=body({"party_id": party}))
        assert posted.status_code == 202, posted.text
    engine = create_async_engine(shared_stack.env["SOSA_INTAKE_DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            audited = (
                await connection.execute(
                    text("SELECT details FROM audit_log WHERE kind = 'party.changed'")
                )
            ).scalars()
            rows = [d if isinstance(d, dict) else json.loads(d) for d in audited]
    finally:
        await engine.dispose()
    assert {"party_id": party, "kind": "us_dod", "country": "US"} in rows

    def published(messages: list[Any]) -> bool:
        return any(
            m.subject == party and json.loads(m.data).get("kind") == "us_dod" for m in messages
        )

    records = await read_topic(shared_stack, topics.PARTIES, published)
    last = [json.loads(m.data) for m in records if m.subject == party][-1]
    assert (last["kind"], last["country"]) == ("us_dod", "US")


def _decided(view: dict[str, Any]) -> bool:
    return view["state"] != "received"
