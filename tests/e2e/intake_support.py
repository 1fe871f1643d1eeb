"""What intake's end-to-end tests share: starting some of the services, talking to the topics as
the router would, and looking into intake's own database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sosa.contracts import envelope, outcomes, topics
from tests.e2e.stack import SERVICES, Stack, free_port, running, stack_env, unique_prefix
from tests.kafka_principals import as_super_user


@asynccontextmanager
async def started(
    services: Sequence[str], *, kafka: str, databases: dict[str, str], logs: Path
) -> AsyncIterator[Stack]:
    """Only the given services, each in its own process, ready; stopped afterwards."""
    ports = {service: free_port() for service in SERVICES}
    env = stack_env(kafka=kafka, databases=databases, ports=ports, prefix=unique_prefix())
    with running(Stack(env=env, ports=ports, logs=logs)) as stack:
        for service in services:
            stack.start(service)
        for service in services:
            await stack.wait_ready(service)
        yield stack


def topic(stack: Stack, name: str) -> str:
    return f"{stack.env['SOSA_TOPIC_PREFIX']}{name}"


async def publish_outcomes(stack: Stack, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Send outcome events as the router does (CloudEvents binary mode, keyed by request)."""
    # outcomes written by the test in the router's place: the brokers' super user, explicitly
    # (only the router's principal may write sosa.outcomes.v1 otherwise)
    producer = AIOKafkaProducer(
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]), enable_idempotence=True
    )
    await producer.start()
    try:
        for event in events:
            message = envelope.wrap(
                event,
                event_id=event.event_id,
                event_type=getattr(event, "type"),  # noqa: B009 - each outcome kind has its type
                source="/test/router",
                subject=event.request_id,
                time=event.occurred_at,
            )
            key, value, headers = envelope.to_kafka(message)
            await producer.send_and_wait(
                topic(stack, topics.OUTCOMES), value, key=key, headers=headers
            )
    finally:
        await producer.stop()


async def read_commands(
    stack: Stack, done: Callable[[list[envelope.Envelope]], bool], timeout_s: float = 30
) -> list[envelope.Envelope]:
    """Every command on the requests topic from the start, once `done(commands)` holds."""
    return await read_topic(stack, topics.REQUESTS, done, timeout_s)


async def read_topic(
    stack: Stack,
    name: str,
    done: Callable[[list[envelope.Envelope]], bool],
    timeout_s: float = 30,
) -> list[envelope.Envelope]:
    """Every message on the stack's topic `name` from the start, once `done(messages)` holds."""
    consumer = AIOKafkaConsumer(
        topic(stack, name),
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    seen: list[envelope.Envelope] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not done(seen):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        message = envelope.from_kafka(record.value, list(record.headers))
                        assert record.key == message.key
                        seen.append(message)
    finally:
        await consumer.stop()
    return seen


async def wait_for_view(
    client: httpx.AsyncClient, url: str, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The request's view once `ready(view)` holds (the read model lags the topic)."""
    async with asyncio.timeout(30):
        while True:
            response = await client.get(url)
            view: dict[str, Any] = response.json()
            if response.status_code == 200 and ready(view):
                return view
            await asyncio.sleep(0.1)


async def post_once_visible(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """POST a command as a party that has just heard of the request (from the outcome stream or
    its webhook): intake answers 404 until its read model has the outcome that involves the party
    (the supplier from routing on, docs/security.md), so the party tries again, as a client
    would; any other answer is returned at once."""
    async with asyncio.timeout(30):
        while (response := await client.post(url, **kwargs)).status_code == 404:  # noqa: ASYNC110 - retries the API
            await asyncio.sleep(0.1)
    return response


async def row_counts(database_url: str) -> dict[str, int]:
    """How many rows each of intake's tables holds."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                table: (
                    # the party records of the tests' registry (tests.e2e.registry) aside
                    await connection.execute(
                        text(f"SELECT count(*) FROM {table}")
                        if table != "outbox"
                        else text("SELECT count(*) FROM outbox WHERE event_type <> 'sosa.party.v1'")
                    )
                ).scalar_one()
                for table in ("commands", "outbox", "request_views", "request_timeline")
            }
    finally:
        await engine.dispose()
