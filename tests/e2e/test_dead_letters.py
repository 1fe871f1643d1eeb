"""Poison commands go to the dead-letter topic with their origin and error, and an operator can
replay them once the cause is fixed, with `sosa dlq replay` or intake's API: each is replayed
once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from sosa.contracts import commands, envelope
from sosa.contracts.requests import PriorityRequestDetails
from tests.e2e.credentials import bearer, operator_headers
from tests.e2e.outcome_log import OutcomeLog, has, kinds
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.kafka_principals import OPERATOR, SUPER_USER, as_super_user, security_env
from tests.unit.intake.builders import DOD_REGISTERED

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


async def publish(
    stack: Stack, *records: tuple[bytes | None, bytes, list[tuple[str, bytes]]]
) -> None:
    # hostile records straight onto the topic: only the brokers' super user may (no service
    # principal writes another's topic), so this producer is explicitly the super user's
    producer = AIOKafkaProducer(**as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]))
    await producer.start()
    try:
        for key, value, headers in records:
            topic = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.requests.v1"
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def command_record(command: commands.Command) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    return envelope.to_kafka(
        envelope.wrap(
            command,
            event_id=command.command_id,
            event_type=str(command.type),  # type: ignore[attr-defined]
            source="/test",
            subject=command.request_id,
            time=command.received_at,
        )
    )


def sosa(stack: Stack, *args: str, user: str = OPERATOR, check: bool = True) -> str:
    """The operators' tool as `user`: the operators' own (read-only) principal unless told."""
    done = subprocess.run(
        [sys.executable, "-m", "sosa.ops", *args],
        env={**stack.env, **security_env(user)},
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )
    return done.stdout + ("" if check else done.stderr)


async def dead_letters(stack: Stack, count: int) -> str:
    """`sosa dlq list` once it shows `count` dead letters."""
    async with asyncio.timeout(60):
        while f"{count} dead letter(s)" not in (listing := sosa(stack, "dlq", "list")):  # noqa: ASYNC110
            await asyncio.sleep(0.5)
    return listing


async def test_dead_letters_are_listed_and_replayed_once(stack: Stack) -> None:
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    early_answer = commands.RespondToRequest(
        command_id=str(uuid.uuid4()),
        request_id=request_id,
        received_at=now,
        response=commands.SupplierResponseDetails(
            supplier_party_id=DPAS_REQUEST["supplier"]["party_id"], kind="accept"
        ),
    )
    await publish(stack, (b"garbage", b"\xff not a command", []), command_record(early_answer))

    async with OutcomeLog(stack) as log:
        listing = await dead_letters(stack, 2)
        assert "not a CloudEvents binary-mode record" in listing
        assert f"UnknownRequestError: no request {request_id}" in listing

        submit = commands.SubmitRequest(
            command_id=str(uuid.uuid4()),
            request_id=request_id,
            received_at=now,
            details=PriorityRequestDetails.model_validate(DPAS_REQUEST),
            registered=DOD_REGISTERED,  # as intake attaches it (#23)
        )
        await publish(stack, command_record(submit))
        await log.wait_for(request_id, has(1))

        # replay writes commands back onto the bus: the operators' principal may not (#23)
        refused = sosa(stack, "dlq", "replay", check=False)
        assert "AuthorizationFailed" in refused
        assert "replayed 2 dead letter(s)" in sosa(stack, "dlq", "replay", user=SUPER_USER)
        events = await log.wait_for(request_id, has(2))
        assert kinds(events) == ["transitioned:routed", "transitioned:accepted"]
        await dead_letters(stack, 3)  # the garbage failed again, behind the replayed two
        # the same replay over intake's API (operators only; the topics intake writes), in the
        # same consumer group as the tool's: only the new letter goes back
        url = f"{stack.url('intake')}/v1/dead-letters/sosa.requests.v1/replay"
        async with httpx.AsyncClient(timeout=90) as client:
            refused = await client.post(url, headers=bearer("dod-navsea", "requester"))
            assert refused.status_code == 403, refused.text
            outcomes = await client.post(
                url.replace("sosa.requests.v1", "sosa.outcomes.v1"), headers=operator_headers()
            )
            assert outcomes.status_code == 422, outcomes.text
            assert outcomes.json()["errors"][0]["field"] == "topic", outcomes.text
            replayed = await client.post(url, headers=operator_headers())
        assert replayed.status_code == 200, replayed.text
        assert replayed.json() == {"topic": "sosa.requests.v1", "replayed": 1}, "only the new one"
        await dead_letters(stack, 4)  # back on the topic, the garbage failed once more
        assert kinds(await log.settled(request_id, quiet_s=2)) == kinds(events)
        assert "replayed 1 dead letter(s)" in sosa(stack, "dlq", "replay", user=SUPER_USER)
