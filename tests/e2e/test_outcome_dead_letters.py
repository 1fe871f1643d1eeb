"""Unreadable outcomes: the notifier and intake each send their copy to `sosa.outcomes.v1.dlq`
(original value, key and headers, plus where it came from, why, and which service gave up),
count it on `/metrics`, and go on: a request submitted afterwards is routed, readable and its
webhook delivered. `sosa dlq list|replay --topic sosa.outcomes.v1` work on them; replay sends
one copy of each record back."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from sosa.contracts import envelope
from sosa.ops.reading import read_to_end
from tests.e2e.conftest import Receiver
from tests.e2e.credentials import ActingParty
from tests.e2e.stack import Stack
from tests.e2e.test_dead_letters import sosa
from tests.e2e.test_walking_skeleton import DPAS_REQUEST, register, wait_for_state
from tests.kafka_principals import SUPER_USER, as_super_user, super_user_settings
from tests.unit.intake.builders import T0

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]

CONSUMERS = ("notifier", "intake")
Sent = dict[tuple[int, int], tuple[bytes | None, bytes, list[tuple[str, bytes]], str]]
"""(partition, offset) -> key, value, headers, the error each consumer must report."""


class Unknown(BaseModel):
    note: str


async def publish_poison(stack: Stack) -> tuple[str, Sent]:
    """Garbage on every partition of the outcome topic (so every later outcome comes behind
    one), an outcome whose data is broken, and an event of a type no consumer knows (a dead
    letter too: it cannot be applied, and is replayable once a newer version knows it); plain
    producer, not transactional."""
    topic = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1"
    # hostile records straight onto the topic: only the brokers' super user may (no service
    # principal writes another's topic), so this producer is explicitly the super user's
    producer = AIOKafkaProducer(**as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]))
    await producer.start()
    sent: Sent = {}
    try:
        partitions = sorted(await producer.partitions_for(topic))
        for partition in partitions:
            key, value = f"garbage-{partition}".encode(), b"\xff not an outcome"
            meta = await producer.send_and_wait(topic, value, key=key, partition=partition)
            sent[(meta.partition, meta.offset)] = (key, value, [], "not a CloudEvents")

        key, value, headers = envelope.to_kafka(
            envelope.wrap(
                Unknown(note="x"),
                event_id="broken-1",
                event_type="sosa.outcome.transitioned.v1",
                source="/tests",
                subject="req-broken",
                time=T0,
            )
        )
        headers = [*headers, ("x-test", b"kept")]
        meta = await producer.send_and_wait(
            topic, value, key=key, headers=headers, partition=partitions[0]
        )
        sent[(meta.partition, meta.offset)] = (key, value, headers, "ValidationError")

        key, value, headers = envelope.to_kafka(
            envelope.wrap(
                Unknown(note="a dashboard's own event"),
                event_id="unknown-1",
                event_type="sosa.dashboard.noted.v1",
                source="/tests",
                subject="req-unknown",
                time=T0,
            )
        )
        meta = await producer.send_and_wait(topic, value, key=key, headers=headers)
        sent[(meta.partition, meta.offset)] = (key, value, headers, "UnknownEventTypeError")
    finally:
        await producer.stop()
    return topic, sent


async def dead_letters(stack: Stack, count: int, timeout_s: float = 60) -> list[Any]:
    """The records of `<prefix>sosa.outcomes.v1.dlq` once there are at least `count`."""
    dlq = f"{stack.env['SOSA_TOPIC_PREFIX']}sosa.outcomes.v1.dlq"
    bootstrap = stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]
    async with asyncio.timeout(timeout_s):
        while len(records := await read_to_end(super_user_settings(bootstrap), dlq)) < count:  # noqa: ASYNC110 - polls the topic
            await asyncio.sleep(0.5)
    return records


def last(headers: list[tuple[str, bytes]], name: str) -> str:
    return dict(headers)[name].decode()


async def counted(client: httpx.AsyncClient, stack: Stack, service: str, topic: str) -> float:
    """`sosa_dead_letters_total` on the service's /metrics for `topic`."""
    text = (await client.get(f"{stack.url(service)}/metrics")).text
    found = re.search(
        rf'^sosa_dead_letters_total\{{service="{service}",topic="{re.escape(topic)}"\}} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


async def count_reaches(
    client: httpx.AsyncClient, stack: Stack, service: str, topic: str, wanted: float
) -> None:
    """The count is raised just after the broker acknowledged the letter: poll briefly."""
    async with asyncio.timeout(10):
        while (now := await counted(client, stack, service, topic)) < wanted:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    assert now == wanted


async def test_unreadable_outcomes_are_dead_lettered_by_each_consumer_and_replayable(
    stack: Stack, receiver: Receiver
) -> None:
    topic, sent = await publish_poison(stack)

    letters = await dead_letters(stack, 2 * len(sent))
    assert len(letters) == 2 * len(sent), "one copy per consumer"
    for consumer in CONSUMERS:
        mine = [r for r in letters if last(list(r.headers), "sosa_consumer") == consumer]
        where = set()
        for letter in mine:
            headers = list(letter.headers)
            origin = (
                int(last(headers, "sosa_original_partition")),
                int(last(headers, "sosa_original_offset")),
            )
            key, value, original_headers, error = sent[origin]
            assert last(headers, "sosa_original_topic") == topic
            assert (letter.key, letter.value) == (key, value), "the record, unchanged"
            assert headers[: len(original_headers)] == original_headers
            assert error in last(headers, "sosa_error")
            where.add(origin)
        assert where == set(sent), f"{consumer}: every unreadable record, once"

    async with httpx.AsyncClient(timeout=10, auth=ActingParty()) as client:
        for service in CONSUMERS:
            assert stack.processes[service].poll() is None, f"{service} exited"
            assert (await client.get(f"{stack.url(service)}/readyz")).status_code == 200
            await count_reaches(client, stack, service, topic, len(sent))
            log = (stack.logs / f"{service}.log").read_text(errors="replace")
            assert "unreadable record dead-lettered" in log

        # an outcome behind the garbage (every partition has some) is still processed
        await register(client, stack, "dod-navsea", receiver.url)
        posted = await client.post(f"{stack.url('intake')}/v1/priority-requests", json=DPAS_REQUEST)
        assert posted.status_code == 202, posted.text
        request_id = posted.json()["request_id"]
        await receiver.wait_for(1)
        view = await wait_for_state(
            client, f"{stack.url('intake')}/v1/priority-requests/{request_id}", "received"
        )
        assert view["state"] == "routed"

        listing = sosa(stack, "dlq", "list", "--topic", "sosa.outcomes.v1")
        assert f"{2 * len(sent)} dead letter(s) on sosa.outcomes.v1.dlq" in listing
        assert "by=notifier" in listing
        assert "by=intake" in listing
        assert "ValidationError" in listing

        # one copy of each record goes back; still unreadable, each consumer dead-letters it again
        # replay puts outcomes back on the bus: the super user's to do, not the operators' (#23)
        replayed = sosa(stack, "dlq", "replay", "--topic", "sosa.outcomes.v1", user=SUPER_USER)
        assert f"replayed {len(sent)} dead letter(s) to sosa.outcomes.v1" in replayed
        again = await dead_letters(stack, 4 * len(sent))
        assert len(again) == 4 * len(sent)
        replays = [r for r in again if "sosa_replayed_from" in dict(r.headers)]
        assert len(replays) == 2 * len(sent)
        assert {last(list(r.headers), "sosa_consumer") for r in replays} == set(CONSUMERS)
        for service in CONSUMERS:
            await count_reaches(client, stack, service, topic, 2 * len(sent))
            assert (await client.get(f"{stack.url(service)}/readyz")).status_code == 200
