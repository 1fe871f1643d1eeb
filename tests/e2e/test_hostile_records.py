"""No record stops a service (issue #22): every hostile record of tests/e2e/hostile_records.py is
produced straight to the broker, on every topic, against one stack; then every service is
restarted; then a normal request is submitted.

Asserted: no process exits while reading them, each comes back after a restart and is still
running seconds later (no crash loop: every consumer group has committed past every hostile
record), each record that a consumer cannot apply is in that consumer's dead-letter topic once,
unchanged, with the error headers and named by `sosa_consumer`, the records a consumer applies
are not, nothing else is dead-lettered, the operators' readers of the dead-letter topics (intake's
pipeline panel, `sosa dlq list`) still answer, and the normal request is routed, shown in intake's
view and delivered by webhook, its requester's API key reaching the notifier over the party topic.

The whole module shares one stack and one run of the hostile records (`aftermath`); each
(record, consumer) pair is a test of its own so that a failure names the row of the table.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from standardwebhooks.webhooks import Webhook

from sosa.contracts import topics
from sosa.ops.reading import behind
from tests.e2e.conftest import Receiver
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY
from tests.e2e.hostile_records import (
    APPLIED,
    CASES,
    CONSUMERS,
    DEAD_LETTER,
    READERS,
    Case,
    Consumer,
    Disposition,
)
from tests.e2e.stack import (
    SERVICES,
    Stack,
    free_port,
    fresh_databases,
    running,
    stack_env,
    unique_prefix,
)
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.kafka_principals import OPERATOR as OPERATOR_PRINCIPAL
from tests.kafka_principals import as_super_user, security_env

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]
T = TypeVar("T")

OPERATOR = {"Authorization": f"Bearer {BOOTSTRAP_OPERATOR_KEY}"}
READING_S = 60.0
"""How long the services get to read and dead-letter every hostile record (polled)."""
AFTER_RESTART_S = 30.0
GRACE_S = 3.0
STAY_UP_S = 8.0
"""A restarted service must still be running this long after it was ready again: a record it
had not committed past is read again within seconds of joining its group."""
DEAD_LETTER_TOPICS = sorted({c.dead_letter_topic for c in CONSUMERS})
ERROR_CLASS = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True, slots=True)
class Sent:
    """Where the broker put a hostile record."""

    case: Case
    topic: str
    partition: int
    offset: int

    @property
    def origin(self) -> tuple[str, int, int]:
        return self.topic, self.partition, self.offset


@dataclass(slots=True)
class Progress:
    """What the stack has done with the hostile records, as last looked at."""

    exits: dict[str, str] = field(default_factory=dict)
    letters: list[Any] = field(default_factory=list)
    not_committed: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Aftermath:
    """The run of the whole module: hostile records sent, services restarted."""

    stack: Stack
    sent: dict[str, Sent]
    injected: set[tuple[str, int, int]]
    """Records this suite produced straight to a dead-letter topic: no consumer's letters."""
    while_reading: Progress
    restart_failures: dict[str, str]
    after_restart: Progress
    ready_again_at: float

    def real(self, name: str) -> str:
        return self.stack.env["SOSA_TOPIC_PREFIX"] + name

    def letters(self) -> list[Any]:
        """The dead letters the consumers wrote (the suite's own records left out)."""
        return [
            r
            for r in self.after_restart.letters
            if (r.topic, r.partition, r.offset) not in self.injected
        ]

    def why_not(self, consumer: Consumer) -> str:
        """What happened to the consumer's service, for a failure message."""
        notes = [
            f"{stage}: {consumer.name} {note}"
            for stage, exits in (
                ("while reading", self.while_reading.exits),
                ("after restart", self.after_restart.exits),
            )
            if (note := exits.get(consumer.name))
        ]
        if consumer.name in self.restart_failures:
            notes.append(f"restart: {self.restart_failures[consumer.name]}")
        return "\n".join(notes)


# --- talking to the broker -------------------------------------------------------------------


async def produce(stack: Stack) -> tuple[dict[str, Sent], set[tuple[str, int, int]]]:
    """Every case of the table, in order, with a plain producer (acks=all)."""
    prefix = stack.env["SOSA_TOPIC_PREFIX"]
    # hostile records straight onto the topic: only the brokers' super user may (no service
    # principal writes another's topic), so this producer is explicitly the super user's
    producer = AIOKafkaProducer(
        **as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]),
        acks="all",
        max_request_size=1_048_576,
        request_timeout_ms=30_000,
    )
    await producer.start()
    sent: dict[str, Sent] = {}
    injected: set[tuple[str, int, int]] = set()
    try:
        for case in CASES:
            record = case.record
            meta = await producer.send_and_wait(
                prefix + case.topic, record.value, key=record.key, headers=list(record.headers)
            )
            sent[case.name] = Sent(case, meta.topic, meta.partition, meta.offset)
            if case.topic in DEAD_LETTER_TOPICS:
                injected.add((meta.topic, meta.partition, meta.offset))
    finally:
        await producer.stop()
    return sent, injected


async def read_topics(bootstrap: str, names: Iterable[str], timeout_s: float = 30) -> list[Any]:
    """Every committed record of the topics that exist among `names`, as they stand now."""
    admin = AIOKafkaAdminClient(**as_super_user(bootstrap))
    await admin.start()
    try:
        partitions = [
            TopicPartition(topic["topic"], number)
            for topic in await admin.describe_topics(sorted(names))
            if topic["error_code"] == 0
            for number in sorted(p["partition"] for p in topic["partitions"])
        ]
    finally:
        await admin.close()
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        **as_super_user(bootstrap),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Any] = []
        async with asyncio.timeout(timeout_s):
            while await behind(consumer, ends):
                for part, records in (await consumer.getmany(timeout_ms=200)).items():
                    found.extend(r for r in records if r.offset < ends[part])
        return found
    finally:
        await consumer.stop()


async def dead_letters(stack: Stack) -> list[Any]:
    prefix = stack.env["SOSA_TOPIC_PREFIX"]
    return await read_topics(
        stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"], [prefix + t for t in DEAD_LETTER_TOPICS]
    )


async def not_committed(stack: Stack, sent: dict[str, Sent]) -> dict[str, list[str]]:
    """For each consumer group, the hostile records of its topic it has not committed past."""
    admin = AIOKafkaAdminClient(**as_super_user(stack.env["SOSA_KAFKA_BOOTSTRAP_SERVERS"]))
    await admin.start()
    try:
        found: dict[str, list[str]] = {}
        for consumer in CONSUMERS:
            mine = [s for s in sent.values() if consumer in s.case.expect]
            partitions = sorted({TopicPartition(s.topic, s.partition) for s in mine})
            offsets = await admin.list_consumer_group_offsets(
                stack.env[consumer.group_setting], partitions=partitions
            )
            lagging = [
                s.case.name
                for s in mine
                if (at := offsets.get(TopicPartition(s.topic, s.partition))) is None
                or at.offset <= s.offset
            ]
            if lagging:
                found[consumer.label] = lagging
        return found
    finally:
        await admin.close()


# --- what the dead letters say ---------------------------------------------------------------


def last(headers: Sequence[tuple[str, bytes | None]], name: str) -> str | None:
    """The last header `name` (a replayed letter carries two sets), decoded."""
    value = dict(headers).get(name)
    return value.decode(errors="replace") if value is not None else None


def origin_of(letter: Any) -> tuple[str, int, int] | None:
    headers = list(letter.headers)
    topic = last(headers, "sosa_original_topic")
    partition = last(headers, "sosa_original_partition")
    offset = last(headers, "sosa_original_offset")
    if topic is None or partition is None or offset is None:
        return None
    try:
        return topic, int(partition), int(offset)
    except ValueError:
        return None


def letters_of(letters: Iterable[Any], sent: Sent) -> list[Any]:
    return [letter for letter in letters if origin_of(letter) == sent.origin]


def expected_letters(sent: dict[str, Sent]) -> set[tuple[tuple[str, int, int], str, str]]:
    """(origin, dead-letter topic, consumer name) of every letter the table expects."""
    return {
        (s.origin, s.topic + ".dlq", consumer.name)
        for s in sent.values()
        for consumer, disposition in s.case.expect.items()
        if disposition is DEAD_LETTER
    }


def found_letters(letters: Iterable[Any]) -> set[tuple[tuple[str, int, int], str, str]]:
    return {
        (origin, letter.topic, last(list(letter.headers), "sosa_consumer") or "")
        for letter in letters
        if (origin := origin_of(letter)) is not None
    }


def exited(stack: Stack) -> dict[str, str]:
    return {
        name: f"exited with {process.returncode}; its log ends:\n{stack.log_tail(name, 12)}"
        for name, process in stack.processes.items()
        if process.poll() is not None
    }


async def watch(
    stack: Stack, sent: dict[str, Sent], injected: set[tuple[str, int, int]], timeout_s: float
) -> Progress:
    """Poll until every group has committed past every hostile record of its topic and every
    expected dead letter is there, a process has exited, or `timeout_s` has passed. A consumer
    sends its dead letters before it commits, so once everything is committed a letter still
    missing is missing for good: that is waited for only `GRACE_S` more."""
    deadline = time.monotonic() + timeout_s
    committed_at: float | None = None
    wanted = expected_letters(sent)
    while True:
        letters = [
            r for r in await dead_letters(stack) if (r.topic, r.partition, r.offset) not in injected
        ]
        progress = Progress(exited(stack), letters, await not_committed(stack, sent))
        now = time.monotonic()
        if not progress.not_committed:
            committed_at = committed_at or now
        if (
            progress.exits
            or now > deadline
            or (committed_at is not None and (wanted <= found_letters(letters)))
            or (committed_at is not None and now - committed_at > GRACE_S)
        ):
            return progress
        await asyncio.sleep(1)


# --- the run ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def aftermath(
    kafka_bootstrap: str, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Aftermath]:
    """One stack: hostile records on every topic, read; every service restarted; read again."""
    async with fresh_databases(postgres_admin_url) as urls:
        ports = {service: free_port() for service in SERVICES}
        prefix = unique_prefix()
        env = stack_env(kafka=kafka_bootstrap, databases=urls, ports=ports, prefix=prefix)
        # stack_env leaves the party copy's group at its default, shared by every stack
        env["SOSA_NOTIFIER_PARTIES_GROUP"] = f"{prefix}notifier-parties"
        logs = tmp_path_factory.mktemp("hostile-records")
        with running(Stack(env=env, ports=ports, logs=logs)) as stack:
            for service in SERVICES:
                stack.start(service)
            for service in SERVICES:
                await stack.wait_ready(service)

            sent, injected = await produce(stack)
            while_reading = await watch(stack, sent, injected, READING_S)

            for service in SERVICES:
                stack.stop(service)  # a process that exited already is only reaped
            for service in SERVICES:
                stack.start(service)
            restart_failures: dict[str, str] = {}
            for service in SERVICES:
                try:
                    await stack.wait_ready(service)
                except (RuntimeError, TimeoutError) as exc:
                    restart_failures[service] = str(exc)
            ready_again_at = time.monotonic()
            after_restart = await watch(stack, sent, injected, AFTER_RESTART_S)
            yield Aftermath(
                stack=stack,
                sent=sent,
                injected=injected,
                while_reading=while_reading,
                restart_failures=restart_failures,
                after_restart=after_restart,
                ready_again_at=ready_again_at,
            )


# --- the table itself ------------------------------------------------------------------------


def test_each_row_says_what_every_reader_of_its_topic_does() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names are unique"
    assert {case.topic for case in CASES} == set(READERS), "every topic has rows"
    for case in CASES:
        assert set(case.expect) == set(READERS[case.topic]), case.name
        record = case.record
        assert record.key is not None or record.value is not None, f"{case.name}: producers refuse"
        if case.topic in topics.COMPACTED:
            assert record.key is not None, f"{case.name}: a compacted topic refuses it"
    for consumer in CONSUMERS:
        assert any(consumer in case.expect for case in CASES), consumer.label
    assert set(topics.ALL) <= set(READERS), "a row for every topic of the contracts"


# --- the processes ---------------------------------------------------------------------------


async def test_no_service_exits_while_reading_hostile_records(aftermath: Aftermath) -> None:
    exits = aftermath.while_reading.exits
    assert not exits, "\n\n".join(f"{name} {why}" for name, why in exits.items())


async def test_every_service_comes_back_after_a_restart_and_reads_past_every_record(
    aftermath: Aftermath,
) -> None:
    assert not aftermath.restart_failures, aftermath.restart_failures
    exits = aftermath.after_restart.exits
    assert not exits, "\n\n".join(f"{name} {why}" for name, why in exits.items())
    assert not aftermath.after_restart.not_committed, (
        "consumer groups still before these hostile records (a crash loop reads them again): "
        f"{aftermath.after_restart.not_committed}"
    )


# --- the dead letters ------------------------------------------------------------------------


def pairs(disposition: Disposition) -> list[Any]:
    return [
        pytest.param(case, consumer, id=f"{case.name}@{consumer.label}")
        for case in CASES
        for consumer, wanted in case.expect.items()
        if wanted is disposition
    ]


@pytest.mark.parametrize(("case", "consumer"), pairs(DEAD_LETTER))
async def test_dead_lettered_once_unchanged_with_the_error_headers(
    aftermath: Aftermath, case: Case, consumer: Consumer
) -> None:
    sent = aftermath.sent[case.name]
    letters = letters_of(aftermath.letters(), sent)
    mine = [
        letter
        for letter in letters
        if letter.topic == aftermath.real(consumer.dead_letter_topic)
        and last(list(letter.headers), "sosa_consumer") == consumer.name
    ]
    others = [(letter.topic, last(list(letter.headers), "sosa_consumer")) for letter in letters]
    assert len(mine) == 1, (
        f"{len(mine)} dead letter(s) of {case.name} by {consumer.name} "
        f"(all its letters: {others})\n{aftermath.why_not(consumer)}"
    )
    letter = mine[0]
    headers = list(letter.headers)
    assert letter.key == case.record.key
    assert (letter.value or b"") == (case.record.value or b""), "the value, unchanged"
    assert headers[: len(case.record.headers)] == list(case.record.headers), "headers kept"
    error_class = last(headers, "sosa_error_class")
    error = last(headers, "sosa_error")
    assert error_class is not None, f"no sosa_error_class; sosa_error: {error}"
    assert ERROR_CLASS.match(error_class), error_class
    assert error is not None
    assert error.startswith(f"{error_class}:"), (error_class, error)


@pytest.mark.parametrize(("case", "consumer"), pairs(APPLIED))
async def test_applied_and_not_dead_lettered(
    aftermath: Aftermath, case: Case, consumer: Consumer
) -> None:
    sent = aftermath.sent[case.name]
    assert case.name not in aftermath.after_restart.not_committed.get(consumer.label, []), (
        f"{consumer.label} never committed past it\n{aftermath.why_not(consumer)}"
    )
    letters = [
        letter
        for letter in letters_of(aftermath.letters(), sent)
        if last(list(letter.headers), "sosa_consumer") == consumer.name
        and letter.topic == aftermath.real(consumer.dead_letter_topic)
    ]
    assert not letters, [last(list(letter.headers), "sosa_error") for letter in letters]


async def test_nothing_else_is_dead_lettered(aftermath: Aftermath) -> None:
    """Every letter is one the table expects: none for a record a consumer applies, none for
    the topics nobody reads, none for what the router made of a record it should have refused."""
    unexpected = found_letters(aftermath.letters()) - expected_letters(aftermath.sent)
    without_origin = [
        (letter.topic, letter.partition, letter.offset)
        for letter in aftermath.letters()
        if origin_of(letter) is None
    ]
    assert not without_origin, (
        f"dead letters that do not say where they came from: {without_origin}"
    )
    assert not unexpected, sorted(
        f"{consumer} dead-lettered {describe(aftermath, origin)}"
        for origin, _, consumer in unexpected
    )


def describe(aftermath: Aftermath, origin: tuple[str, int, int]) -> str:
    """A record by where it was read: a hostile record's case name, or for another record
    (a service's own output) its type and the hostile record whose key it shares."""
    by_origin = {s.origin: s.case.name for s in aftermath.sent.values()}
    if origin in by_origin:
        return by_origin[origin]
    letter = next(r for r in aftermath.letters() if origin_of(r) == origin)
    event_type = last(list(letter.headers), "ce_type")
    cause = next(
        (s.case.name for s in aftermath.sent.values() if s.case.record.key == letter.key), None
    )
    return f"{event_type} at {origin}, keyed like the hostile record {cause}"


# --- the readers of the dead-letter topics ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def sosa_ops(stack: Stack, *args: str, timeout_s: float = 60) -> Ran:
    """The operators' tool with the stack's settings (its topic prefix, its broker), as the
    operators' own read-only principal."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sosa.ops",
        *args,
        env={**stack.env, **security_env(OPERATOR_PRINCIPAL)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


async def test_the_readers_of_the_dead_letter_topics_still_answer(aftermath: Aftermath) -> None:
    """Intake's pipeline watch counts every record of the dead-letter topics, hostile ones it
    was sent directly included, and `sosa dlq list` lists those of each topic."""
    stack = aftermath.stack
    records = await dead_letters(stack)
    counts = {
        aftermath.real(t): sum(1 for r in records if r.topic == aftermath.real(t))
        for t in (topics.dead_letter(topics.REQUESTS), topics.dead_letter(topics.OUTCOMES))
    }
    async with httpx.AsyncClient(timeout=10, headers=OPERATOR) as client:
        async with asyncio.timeout(30):
            while True:
                response = await client.get(f"{stack.url('intake')}/v1/dashboard/pipeline")
                assert response.status_code == 200, response.text
                panel = response.json()
                if all(panel["dead_letters"].get(t) == n for t, n in counts.items()):
                    break
                await asyncio.sleep(0.5)
    listed = await asyncio.gather(
        *(
            sosa_ops(stack, "dlq", "list", "--topic", topic, "--limit", "10000")
            for topic in (topics.REQUESTS, topics.OUTCOMES, topics.PARTIES)
        )
    )
    for ran in listed:
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert "dead letter(s) on" in ran.stdout


async def test_sosa_tail_prints_the_topics_the_services_read(aftermath: Aftermath) -> None:
    """`sosa tail` reads the hostile records like any other (the dead-letter topics are read by
    `sosa dlq list` above)."""
    names = sorted({c.topic for c in CONSUMERS})
    shown = await asyncio.gather(
        *(sosa_ops(aftermath.stack, "tail", t, "--from-beginning", "--no-follow") for t in names)
    )
    failed = {t: ran.stderr[-2000:] for t, ran in zip(names, shown, strict=True) if ran.returncode}
    assert not failed, "\n".join(f"sosa tail {t}:\n{err}" for t, err in failed.items())


# --- a normal request afterwards -------------------------------------------------------------


async def test_a_normal_request_is_then_routed_shown_and_delivered(
    aftermath: Aftermath, receiver: Receiver
) -> None:
    stack = aftermath.stack
    intake, notifier = stack.url("intake"), stack.url("notifier")
    requester_id = DPAS_REQUEST["requester"]["party_id"]
    async with httpx.AsyncClient(timeout=10) as client:
        # a party and its API key: intake -> sosa.parties.v1 -> the notifier's party copy (the
        # stack registered the party with its attributes when intake came up: tests/e2e/registry)
        made = await client.post(
            f"{intake}/v1/parties",
            json={"party_id": requester_id, "name": "NAVSEA", "roles": ["requester"]},
            headers=OPERATOR,
        )
        assert made.status_code in (201, 409), made.text
        issued = await client.post(f"{intake}/v1/parties/{requester_id}/api-keys", headers=OPERATOR)
        assert issued.status_code == 201, issued.text
        requester = {"Authorization": f"Bearer {issued.json()['api_key']}"}

        async def known_to_the_notifier() -> bool | None:
            me = await client.get(f"{notifier}/v1/me", headers=requester)
            return True if me.status_code == 200 else None

        await until("the notifier's party copy knows the new key", known_to_the_notifier, 30)

        endpoint = await client.post(
            f"{notifier}/v1/endpoints", json={"url": receiver.url}, headers=requester
        )
        assert endpoint.status_code == 201, endpoint.text
        secret = endpoint.json()["secret"]

        posted = await client.post(
            f"{intake}/v1/priority-requests", json=DPAS_REQUEST, headers=requester
        )
        assert posted.status_code == 202, posted.text
        request_id = posted.json()["request_id"]

        async def webhook() -> tuple[dict[str, str], bytes] | None:
            return next(iter(webhooks_about(receiver, request_id)), None)

        headers, body = await until("the request's webhook", webhook, 60)
        Webhook(secret).verify(body, headers)
        assert json.loads(body)["type"] == "request.routed"

        async def decided_view() -> dict[str, Any] | None:
            url = f"{intake}/v1/priority-requests/{request_id}"
            view: dict[str, Any] = (await client.get(url, headers=requester)).json()
            return view if view.get("state") not in (None, "received") else None

        view = await until("the request decided in intake's view", decided_view, 30)
        assert view["state"] == "routed"
        assert [entry["state"] for entry in view["timeline"]] == ["routed"]


async def until(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float) -> T:
    """What `check` gives once it gives something, polled every 0.2 s for at most `timeout_s`."""
    try:
        async with asyncio.timeout(timeout_s):
            while (found := await check()) is None:  # noqa: ASYNC110 - polls HTTP and a list
                await asyncio.sleep(0.2)
            return found
    except TimeoutError:
        raise AssertionError(f"not within {timeout_s} s: {what}") from None


def webhooks_about(receiver: Receiver, request_id: str) -> list[tuple[dict[str, str], bytes]]:
    return [
        (headers, body)
        for headers, body in receiver.received
        if json.loads(body).get("data", {}).get("request_id") == request_id
    ]


async def test_every_service_is_still_running_seconds_after_its_restart(
    aftermath: Aftermath,
) -> None:
    stack = aftermath.stack
    await asyncio.sleep(max(0.0, aftermath.ready_again_at + STAY_UP_S - time.monotonic()))
    assert not exited(stack), exited(stack)
    async with httpx.AsyncClient(timeout=5) as client:
        for service in SERVICES:
            assert (await client.get(f"{stack.url(service)}/readyz")).status_code == 200, service
