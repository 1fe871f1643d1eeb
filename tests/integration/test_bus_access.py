"""The bus authenticates its clients and authorizes them by ACLs (#23): against the real broker of
scripts/kafka.sh (SASL/SCRAM-SHA-512, StandardAuthorizer) and the ACLs the provisioning step
creates for a topic prefix of this test's own.

A client without credentials, one with a wrong password, and one with another service's (or the
operators' read-only) credentials cannot write commands, outcomes or party records; the principal
whose job it is can (so the refusals are not vacuous), and afterwards the topics hold exactly
what the allowed writers wrote. That each service can do the whole of its job on these ACLs
(transactions with send_offsets_to_transaction included) is shown by the end-to-end tests, which
run every service as its own principal."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from sosa.contracts import topics
from sosa.infra.bus_acls import Principals
from sosa.infra.bus_provisioning import ProvisioningSettings, provision
from sosa.infra.kafka import close_quietly
from sosa.ops.reading import read_to_end
from tests.kafka_principals import (
    OPERATOR,
    SUPER_USER,
    as_user,
    password_of,
    super_user_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

PRINCIPALS = Principals()
WRITERS = {
    topics.REQUESTS: PRINCIPALS.intake,
    topics.OUTCOMES: PRINCIPALS.router,
    topics.PARTIES: PRINCIPALS.intake,
    topics.AUDIT_CHECKPOINTS: PRINCIPALS.intake,
}
"""The principal whose job it is to write each protected topic."""

OTHERS = {
    topics.OUTCOMES: [PRINCIPALS.intake, PRINCIPALS.notifier, OPERATOR],
    # the router also writes its own clock ticks to the command topic (sosa.router.timers)
    topics.REQUESTS: [PRINCIPALS.notifier, OPERATOR],
    topics.PARTIES: [PRINCIPALS.router, PRINCIPALS.notifier, OPERATOR],
    topics.AUDIT_CHECKPOINTS: [PRINCIPALS.router, PRINCIPALS.notifier, OPERATOR],
}
"""Principals that must not write each protected topic."""


@pytest.fixture(scope="module")
async def deployment(kafka_bootstrap: str) -> str:
    """A topic prefix of this module's own, provisioned (topics and ACLs) as a deployment is."""
    prefix = f"acl{uuid.uuid4().hex[:8]}."
    settings = ProvisioningSettings(
        **super_user_settings(kafka_bootstrap).model_dump(exclude={"topic_prefix"}),
        topic_prefix=prefix,
        intake_read_model_group=f"{prefix}intake",
        router_group=f"{prefix}router",
        router_transactional_id=f"{prefix}router",
        notifier_group=f"{prefix}notifier",
        notifier_parties_group=f"{prefix}notifier-parties",
    )
    await provision(settings, settings.layout())
    return prefix


async def write(options: dict[str, Any], topic: str, marker: str, **config: Any) -> None:
    producer = AIOKafkaProducer(**options, acks="all", request_timeout_ms=10_000, **config)
    try:
        await producer.start()
        await producer.send_and_wait(topic, f'{{"forged": "{marker}"}}'.encode(), key=b"k")
    finally:
        await close_quietly(producer)


async def landed(bootstrap: str, topic: str) -> list[str]:
    """The values on `topic`, read by the super user."""
    return [r.value.decode() for r in await read_to_end(super_user_settings(bootstrap), topic)]


@pytest.mark.parametrize(
    "name", [topics.OUTCOMES, topics.REQUESTS, topics.PARTIES, topics.AUDIT_CHECKPOINTS]
)
async def test_only_the_owner_writes_commands_outcomes_and_party_records(
    name: str, deployment: str, kafka_bootstrap: str
) -> None:
    topic = f"{deployment}{name}"
    refused: dict[str, type[BaseException]] = {}

    # no credentials at all: the SASL listener does not even answer a plain client
    with pytest.raises(KafkaConnectionError):
        await write(
            {"bootstrap_servers": kafka_bootstrap, "security_protocol": "PLAINTEXT"},
            topic,
            "anonymous",
            metadata_max_age_ms=1000,
        )
    refused["anonymous"] = KafkaConnectionError

    # the owner's name with a wrong password, and the super user's with a wrong password
    for user in (WRITERS[name], SUPER_USER):
        with pytest.raises(KafkaError) as wrong:
            await write(as_user(kafka_bootstrap, user, "not-the-password"), topic, "wrong")
        refused[f"{user} (wrong password)"] = type(wrong.value)

    # another service's (or the operators') real credentials: authenticated, not authorized
    for user in OTHERS[name]:
        with pytest.raises(TopicAuthorizationFailedError):
            await write(as_user(kafka_bootstrap, user), topic, f"by {user}")
        refused[user] = TopicAuthorizationFailedError

    # the owner may: so the refusals above are refusals, not a broken topic
    await write(as_user(kafka_bootstrap, WRITERS[name]), topic, f"by {WRITERS[name]}")

    assert await landed(kafka_bootstrap, topic) == [f'{{"forged": "by {WRITERS[name]}"}}']
    assert len(refused) == 3 + len(OTHERS[name])


async def test_a_wrong_password_is_refused_at_authentication(kafka_bootstrap: str) -> None:
    """The refusal of a wrong password is the broker's SASL answer, not a missing topic."""
    producer = AIOKafkaProducer(**as_user(kafka_bootstrap, PRINCIPALS.router, "nope" * 8))
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await producer.start()
    await close_quietly(producer)
    # and the right password for the same user connects
    producer = AIOKafkaProducer(**as_user(kafka_bootstrap, PRINCIPALS.router))
    await producer.start()
    await producer.stop()
    assert password_of(PRINCIPALS.router)


async def test_only_the_router_holds_the_routers_transactional_ids(
    deployment: str, kafka_bootstrap: str
) -> None:
    """Intake cannot take (and so fence) a router partition's transactional id."""
    producer = AIOKafkaProducer(
        **as_user(kafka_bootstrap, PRINCIPALS.intake),
        transactional_id=f"{deployment}router-{deployment}{topics.REQUESTS}-0",
    )
    with pytest.raises(TransactionalIdAuthorizationFailed):
        await producer.start()
    await close_quietly(producer)


@pytest.mark.parametrize(
    ("user", "name", "group"),
    [
        (PRINCIPALS.notifier, topics.REQUESTS, "notifier"),  # commands are the router's to read
        (PRINCIPALS.intake, topics.OUTCOMES, "router"),  # another service's group
        (OPERATOR, topics.OUTCOMES, "notifier"),  # the operators read without a group
    ],
)
async def test_a_group_reads_only_what_it_needs(
    user: str, name: str, group: str, deployment: str, kafka_bootstrap: str
) -> None:
    consumer = AIOKafkaConsumer(
        f"{deployment}{name}",
        **as_user(kafka_bootstrap, user),
        group_id=f"{deployment}{group}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )

    async def join_and_read() -> None:
        await consumer.start()  # joining another's group is refused here
        await consumer.getmany(timeout_ms=5000)  # reading a topic not its own, here

    try:
        with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
            await join_and_read()
    finally:
        await close_quietly(consumer)
