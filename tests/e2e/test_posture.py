"""Posture through the running services: an operator sets it (API and CLI), every party reads
it, the router announces it on the outcome stream and decides under it (the DPAS deadline as
in peacetime, more reminders, an early escalation point), and refuses what it must refuse."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from sosa.contracts import envelope, posture, topics
from tests.e2e.credentials import OPERATOR, ActingParty, token
from tests.e2e.intake_support import topic, wait_for_view
from tests.e2e.stack import Stack, cli
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(180)]
OPERATOR_AUTH = {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"}


async def posture_events(stack: Stack, count: int) -> list[dict[str, Any]]:
    """The first `count` posture changes on the outcome stream."""
    consumer = AIOKafkaConsumer(
        topic(stack, topics.OUTCOMES),
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        message = envelope.from_kafka(record.value or b"", list(record.headers))
                        if message.type == posture.CHANGED:
                            assert record.key == b"global" or len(record.key or b"") == 2
                            found.append(json.loads(message.data))
    finally:
        await consumer.stop()
    return found


async def submit_and_view(client: httpx.AsyncClient, stack: Stack, **extra: Any) -> dict[str, Any]:
    answer = await client.post(
        f"{stack.url('intake')}/v1/priority-requests", json={**DPAS_REQUEST, **extra}
    )
    assert answer.status_code == 202, answer.text
    url = f"{stack.url('intake')}/v1/priority-requests/{answer.json()['request_id']}"
    async with httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as reader:
        return await wait_for_view(reader, url, lambda v: v.get("state") == "routed")


async def test_a_posture_set_by_an_operator_is_announced_and_decided_under(stack: Stack) -> None:
    intake = stack.url("intake")
    async with (
        httpx.AsyncClient(timeout=10, headers=OPERATOR_AUTH) as operator,
        httpx.AsyncClient(timeout=10, auth=ActingParty()) as parties,
    ):
        peacetime = await submit_and_view(parties, stack, contract_number="N00024-26-C-0101")
        try:
            # refused: not an operator, not a partner, not a posture
            requester = {"Authorization": f"Bearer {token('dod-navsea', 'requester')}"}
            body = {"posture": "emergency", "reason": "exercise"}
            async with httpx.AsyncClient(timeout=10, headers=requester) as plain:
                refused = await plain.put(f"{intake}/v1/posture/global", json=body)
                assert refused.status_code == 403, refused.text
            wrong = await operator.put(f"{intake}/v1/posture/ZZ", json=body)
            assert wrong.status_code == 422, wrong.text
            assert wrong.json()["errors"][0]["field"] == "scope"
            bad = await operator.put(f"{intake}/v1/posture/global", json={"posture": "war"})
            assert bad.status_code == 422
            assert {e["field"] for e in bad.json()["errors"]} == {"posture", "reason"}

            # set through the CLI, read back through the API (any party may read it)
            done = cli(stack, "posture", "set", "emergency", "--reason", "supply shock exercise")
            assert done.returncode == 0, done.stderr
            assert "peacetime -> emergency" in done.stdout
            async with httpx.AsyncClient(timeout=10, headers=requester) as plain:
                shown = await plain.get(f"{intake}/v1/posture")
            assert shown.status_code == 200
            assert shown.json()["global"]["posture"] == "emergency"
            assert shown.json()["global"]["settings"]["highlight"] == "amber"
            (announced,) = await posture_events(stack, 1)
            assert announced["posture"] == "emergency"
            assert announced["replanned"] >= 1, "the open peacetime request was re-planned"
            assert announced["reason"] == "supply shock exercise"

            under = await submit_and_view(parties, stack, contract_number="N00024-26-C-0102")
            reasons = [f["reason"] for f in under["decision"]["findings"]]
            assert any("Posture emergency is in force for every partner" in r for r in reasons)
            assert len(under["decision"]["reminders"]) > len(peacetime["decision"]["reminders"])
            assert under["decision"]["early_escalation_at"] is not None
            # the dry run makes the router's own decision, posture included: the same findings,
            # reminders and early escalation, and the statutory deadline peacetime gives at the
            # same receipt (15 working days for this DO order)
            dry = await operator.post(
                f"{intake}/v1/priority-requests/evaluate",
                params={"as_of": under["received_at"]},
                json=DPAS_REQUEST,
            )
            assert dry.status_code == 200, dry.text
            dried = dry.json()["decision"]
            for same in ("deadline", "reminders", "early_escalation_at", "clock_started_at"):
                assert under["decision"][same] == dried[same], same
            assert [f["rule_id"] for f in under["decision"]["findings"]] == [
                f["rule_id"] for f in dried["findings"]
            ]
            assert under["decision"]["clock"] == peacetime["decision"]["clock"] == "working_days"

            listed = cli(stack, "posture", "show")
            assert listed.returncode == 0, listed.stderr
            assert "global  emergency" in listed.stdout
            assert "15 CFR 700.13(d)" in listed.stdout
        finally:
            reset = await operator.put(
                f"{intake}/v1/posture/global", json={"posture": "peacetime", "reason": "over"}
            )
            assert reset.status_code == 202, reset.text
            events = await posture_events(stack, 2)  # the router has applied it
            assert events[-1]["posture"] == "peacetime"
