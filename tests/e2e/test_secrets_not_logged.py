"""No secret reaches a log line or an event: a full flow with the three services as processes
(logging at DEBUG), then every log line and every record of every topic is searched for each API
key, webhook secret, token and the bootstrap key that the flow used, and for the token in a
webhook URL's query string (also absent from the delivery-failures and deliveries answers)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from sosa.contracts import topics
from tests.e2e.conftest import Receiver
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY, token
from tests.e2e.intake_support import post_once_visible
from tests.e2e.stack import SERVICES, Stack, free_port, running, stack_env, unique_prefix
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.kafka_principals import SERVICE_PRINCIPALS, as_super_user, password_of

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]
OPERATOR = {"Authorization": f"Bearer {BOOTSTRAP_OPERATOR_KEY}"}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def all_records(stack: Stack) -> list[bytes]:
    """Key, value and headers of every record on every topic of this run."""
    found: list[bytes] = []
    names = [stack.env["SOSA_TOPIC_PREFIX"] + name for name in topics.ALL]
    consumer = AIOKafkaConsumer(
        *names,
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        quiet = 0
        while quiet < 3:
            batches = await consumer.getmany(timeout_ms=1000)
            quiet = 0 if batches else quiet + 1
            for records in batches.values():
                for record in records:
                    found.append(record.key or b"")
                    found.append(record.value or b"")
                    found.extend(value for _, value in record.headers)
    finally:
        await consumer.stop()
    return found


def read_logs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.glob("*.log")}


async def eventually_ok(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
    async with asyncio.timeout(30):
        while (await client.get(url, headers=headers)).status_code != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.2)


async def test_no_secret_in_any_log_or_event(
    kafka_bootstrap: str, databases: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    ports = {service: free_port() for service in SERVICES}
    env = stack_env(kafka=kafka_bootstrap, databases=databases, ports=ports, prefix=unique_prefix())
    env["SOSA_LOG_LEVEL"] = "DEBUG"
    env["SOSA_AUTH_PEPPER"] = "pepper-" + "p" * 32
    secrets: dict[str, str] = {
        "bootstrap": BOOTSTRAP_OPERATOR_KEY,
        "pepper": env["SOSA_AUTH_PEPPER"],
        # the services' Kafka passwords (#23), at DEBUG too
        **{f"kafka-{name}": password_of(user) for name, user in SERVICE_PRINCIPALS.items()},
    }
    stack = Stack(env=env, ports=ports, logs=tmp_path)
    with running(stack):
        for service in SERVICES:
            stack.start(service)
        for service in SERVICES:
            await stack.wait_ready(service)
        intake, notifier = stack.url("intake"), stack.url("notifier")
        async with httpx.AsyncClient(timeout=10) as client:
            parties = {"dod-navsea": "requester", "acme-valves": "supplier"}
            for party, role in parties.items():
                made = await client.post(
                    f"{intake}/v1/parties",
                    json={"party_id": party, "name": party, "roles": [role]},
                    headers=OPERATOR,
                )
                # the e2e stack registers its parties at every intake start (tests/e2e/registry.py)
                assert made.status_code in (201, 409), made.text
                issued = await client.post(
                    f"{intake}/v1/parties/{party}/api-keys", headers=OPERATOR
                )
                secrets[party] = issued.json()["api_key"]
            # a key issued and revoked at once: it was a secret all the same
            spare = await client.post(f"{intake}/v1/parties/acme-valves/api-keys", headers=OPERATOR)
            secrets["revoked"] = spare.json()["api_key"]
            await client.delete(
                f"{intake}/v1/parties/acme-valves/api-keys/{spare.json()['key_id']}",
                headers=OPERATOR,
            )
            requester = bearer(secrets["dod-navsea"])
            supplier = bearer(secrets["acme-valves"])
            await eventually_ok(client, f"{notifier}/v1/me", requester)

            endpoint = await client.post(
                f"{notifier}/v1/endpoints", json={"url": receiver.url}, headers=requester
            )
            assert endpoint.status_code == 201, endpoint.text
            secrets["whsec-1"] = endpoint.json()["secret"]
            rotated = await client.post(
                f"{notifier}/v1/endpoints/{endpoint.json()['endpoint_id']}/secret/rotate",
                headers=requester,
            )
            secrets["whsec-2"] = rotated.json()["secret"]
            # a receiver's token in its URL's query string: a secret too (issue #23, item 7).
            # Nothing listens on this port, so every attempt fails and the URL is logged and
            # shown on the failures panel.
            secrets["url-token"] = "urltok_" + "t" * 24 + str(free_port())
            dead = f"http://127.0.0.1:{free_port()}/hook?token={secrets['url-token']}"
            failing = await client.post(
                f"{notifier}/v1/endpoints", json={"url": dead}, headers=requester
            )
            assert failing.status_code == 201, failing.text
            secrets["whsec-3"] = failing.json()["secret"]

            posted = await client.post(
                f"{intake}/v1/priority-requests", json=DPAS_REQUEST, headers=requester
            )
            assert posted.status_code == 202, posted.text
            request_id = posted.json()["request_id"]
            await receiver.wait_for(1)
            answered = await post_once_visible(
                client,
                f"{intake}/v1/priority-requests/{request_id}/responses",
                json={"supplier_party_id": "acme-valves", "kind": "accept"},
                headers=supplier,
            )
            assert answered.status_code == 202, answered.text
            await receiver.wait_for(2)
            shown: list[str] = []
            async with asyncio.timeout(30):
                while not any("/hook?…" in text for text in shown):
                    await asyncio.sleep(0.3)
                    shown = [
                        (await client.get(f"{notifier}{path}", headers=who)).text
                        for path in ("/v1/delivery-failures", "/v1/deliveries")
                        for who in (OPERATOR, requester)
                    ]
            assert not [text for text in shown if secrets["url-token"] in text]

            # a bearer token, a refused key and a refused token
            secrets["jwt"] = token("dod-navsea", "requester")
            assert (await client.get(f"{intake}/v1/me", headers=bearer(secrets["jwt"]))).is_success
            wrong = secrets["dod-navsea"][:-6] + "zzzzzz"
            secrets["wrong-key"] = wrong
            assert (await client.get(f"{notifier}/v1/me", headers=bearer(wrong))).status_code == 401
            secrets["expired-jwt"] = token("dod-navsea", "requester", ttl_s=-600)
            expired = await client.get(f"{intake}/v1/me", headers=bearer(secrets["expired-jwt"]))
            assert expired.status_code == 401
        records = await all_records(stack)
        # at rest, the notifier's database holds the signing secrets sealed (issue #23)
        engine = create_async_engine(databases["notifier"], poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                stored = [
                    str(v)
                    for query in (
                        "SELECT secret FROM endpoints",
                        "SELECT secret FROM endpoint_secrets",
                    )
                    for v in (await connection.execute(text(query))).scalars()
                ]
        finally:
            await engine.dispose()
        assert len(stored) == 3  # two endpoints, one rotated-out secret
        assert all(v.startswith("fernet:") for v in stored), stored
        for name in ("whsec-1", "whsec-2", "whsec-3"):
            assert not [v for v in stored if secrets[name].removeprefix("whsec_") in v]
    # the processes have stopped: every log line is written
    logs = read_logs(tmp_path)
    assert set(logs) == {"intake.log", "router.log", "notifier.log"}
    assert all(logs.values())

    def needles(secret: str) -> list[bytes]:
        """The secret, its random part alone, and (for whsec_) its decoded key."""
        forms = [secret, secret.rsplit("_", 1)[-1]]
        if secret.startswith("whsec_"):
            forms.append(base64.b64decode(secret.removeprefix("whsec_")).hex())
        return [form.encode() for form in forms if len(form) >= 16]

    leaks: list[Any] = []
    for name, secret in secrets.items():
        for needle in needles(secret):
            leaks += [(name, log) for log, text in logs.items() if needle in text]
            leaks += [(name, "topic record") for record in records if needle in record]
    assert not leaks, leaks
