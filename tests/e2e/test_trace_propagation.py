"""One trace from the caller's HTTP request to the webhook: the caller's trace id reaches the
outcome on the topic (`ce_traceparent`) and the webhook's `traceparent` header, with tracing's
exporter off (the default)."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.e2e.conftest import Receiver
from tests.e2e.credentials import ActingParty
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST, register
from tests.kafka_principals import as_super_user

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


def trace_id_of(traceparent: str) -> str:
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (len(version), len(trace_id), len(span_id), len(flags)) == (2, 32, 16, 2)
    return trace_id


async def outcome_traceparents(stack: Stack, request_id: str, timeout_s: float = 60) -> list[str]:
    """The `ce_traceparent` of the request's first outcome(s) on the outcome topic."""
    consumer = AIOKafkaConsumer(
        f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1",
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                found = [
                    dict(record.headers).get("ce_traceparent", b"").decode()
                    for records in batches.values()
                    for record in records
                    if dict(record.headers).get("ce_subject") == request_id.encode()
                ]
                if found:
                    return found
    finally:
        await consumer.stop()


async def test_the_callers_trace_reaches_the_outcome_and_the_webhook(
    stack: Stack, receiver: Receiver
) -> None:
    trace_id = secrets.token_hex(16)
    caller = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        await register(client, stack, "dod-navsea", receiver.url)
        posted = await client.post(
            f"{stack.url('intake')}/v1/priority-requests",
            json=DPAS_REQUEST,
            headers={"traceparent": caller},
        )
        assert posted.status_code == 202, posted.text
        request_id = posted.json()["request_id"]

    outcome = await outcome_traceparents(stack, request_id)
    assert {trace_id_of(t) for t in outcome} == {trace_id}
    assert outcome[0] != caller  # intake's span, in the caller's trace, carried on by the router

    await receiver.wait_for(1)
    headers, _ = receiver.received[0]
    assert trace_id_of(headers["traceparent"]) == trace_id
    assert headers["traceparent"] not in {caller, outcome[0]}  # the attempt's own span
