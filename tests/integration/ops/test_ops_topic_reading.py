"""`sosa tail` and `sosa timeline` reading real records on the real broker, and the consumer-lag
gauge moving as a consumer group reads. Topics carry a unique prefix the session deletes."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from sosa.contracts import topics
from sosa.contracts.states import RequestState
from sosa.infra import kafka
from sosa.infra.consumer_lag import LAG, update
from sosa.infra.settings import CommonSettings
from sosa.ops.cli import app
from sosa.ops.topic_reader import partition_for
from tests.e2e.stack import unique_prefix
from tests.kafka_principals import as_super_user
from tests.unit.ops.ops_samples import (
    accept,
    attempt_parts,
    attempted,
    command_parts,
    outcome_parts,
    submit,
    transitioned,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

ROUTED, ACCEPTED = RequestState.ROUTED, RequestState.ACCEPTED
REQUESTS = ("req-a", "req-b", "req-c")


async def _produce(settings: CommonSettings) -> None:
    await kafka.ensure_topics(settings, [topics.REQUESTS, topics.OUTCOMES, topics.DELIVERIES])
    producer = AIOKafkaProducer(**as_super_user(settings.kafka_bootstrap_servers), acks="all")
    await producer.start()
    try:
        for request_id in REQUESTS:
            for parts, name in (
                (command_parts(submit(request_id, f"{request_id}-c1")), topics.REQUESTS),
                (command_parts(accept(request_id, f"{request_id}-c2")), topics.REQUESTS),
                (
                    outcome_parts(
                        transitioned(
                            request_id,
                            sequence=1,
                            cause=f"{request_id}-c1",
                            before=None,
                            after=ROUTED,
                        )
                    ),
                    topics.OUTCOMES,
                ),
                (
                    outcome_parts(
                        transitioned(
                            request_id,
                            sequence=2,
                            cause=f"{request_id}-c2",
                            before=ROUTED,
                            after=ACCEPTED,
                        )
                    ),
                    topics.OUTCOMES,
                ),
                (attempt_parts(attempted(request_id, f"{request_id}-out-1")), topics.DELIVERIES),
            ):
                key, value, headers = parts
                await producer.send_and_wait(settings.topic(name), value, key=key, headers=headers)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def deployment(kafka_bootstrap: str) -> dict[str, str]:
    env = {"SOSA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "SOSA_TOPIC_PREFIX": unique_prefix()}
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=env["SOSA_TOPIC_PREFIX"]
    )
    asyncio.run(_produce(settings))
    return env


def sosa(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_tail_prints_every_record_readably_and_stops_at_the_end(
    deployment: dict[str, str],
) -> None:
    lines = sosa(deployment, "tail", topics.OUTCOMES, "--from-beginning", "--no-follow")
    lines_of = lines.splitlines()
    assert len(lines_of) == 6
    assert all("sosa.outcome.transitioned.v1" in line for line in lines_of)
    assert sum("#2 routed -> accepted" in line for line in lines_of) == 3
    assert any("req-b" in line and "#1 (new) -> routed" in line for line in lines_of)


def test_tail_of_one_request_as_json_with_a_limit(deployment: dict[str, str]) -> None:
    out = sosa(
        deployment,
        "tail",
        topics.REQUESTS,
        "--from-beginning",
        "--request",
        "req-b",
        "--json",
        "--limit",
        "1",
    )
    (line,) = out.splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "req-b"
    assert entry["type"] == "sosa.command.submit.v1"
    assert entry["partition"] == partition_for("req-b", 3)
    assert entry["summary"] == "submit by dod-navsea to acme-valves rating=DO-A3"


def test_tail_from_the_end_without_follow_prints_nothing(deployment: dict[str, str]) -> None:
    assert sosa(deployment, "tail", topics.OUTCOMES, "--no-follow") == ""


def test_timeline_interleaves_commands_and_their_outcomes(deployment: dict[str, str]) -> None:
    out = sosa(deployment, "timeline", "req-c").splitlines()
    assert [line.split()[2] for line in out[:-1]] == [
        "command.submit.v1",
        "outcome.transitioned.v1",
        "delivery.attempted.v1",
        "command.respond.v1",
        "outcome.transitioned.v1",
    ]
    assert "#1 (new) -> routed" in out[1]
    assert "request.routed to acme-valves (supplier) by webhook #1: retrying 503" in out[2]
    assert "#2 routed -> accepted" in out[4]
    assert out[-1] == "5 record(s) for request req-c"
    as_json = [
        json.loads(line) for line in sosa(deployment, "timeline", "req-c", "--json").splitlines()
    ]
    assert [(e["kind"], e["request_id"]) for e in as_json] == [
        ("command", "req-c"),
        ("outcome", "req-c"),
        ("delivery", "req-c"),
        ("command", "req-c"),
        ("outcome", "req-c"),
    ]


def test_timeline_of_an_unknown_request_fails(deployment: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["timeline", "nobody"], env=deployment)
    assert result.exit_code == 1


async def test_the_lag_gauge_follows_a_consumer_group(deployment: dict[str, str]) -> None:
    settings = CommonSettings(
        kafka_bootstrap_servers=deployment["SOSA_KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=deployment["SOSA_TOPIC_PREFIX"],
    )
    group = f"{settings.topic_prefix}lag"
    consumer = kafka.consumer(settings, group_id=group, topics=[topics.OUTCOMES], client_id="lag")
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
                await asyncio.sleep(0.1)
            held = await update(group, consumer, set())
            assert len(held) == 3
            assert _lag(group, settings.topic(topics.OUTCOMES)) == 6
            read = 0
            while read < 6:
                batches = await consumer.getmany(timeout_ms=500)
                read += sum(len(records) for records in batches.values())
            await update(group, consumer, held)
            assert _lag(group, settings.topic(topics.OUTCOMES)) == 0
    finally:
        await consumer.stop()


def _lag(group: str, topic: str) -> float:
    return sum(
        sample.value
        for metric in LAG.collect()
        for sample in metric.samples
        if sample.labels.get("group") == group and sample.labels.get("topic") == topic
    )
