"""A consumer's dead letters: the provenance headers, which outcome records are unreadable,
and sending them (retried until the broker takes them, counted once each) with the outbox
relay's producer, renewed after a failed send like the relay's own."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber
from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel
from sqlalchemy import MetaData

from sosa.contracts import envelope
from sosa.contracts.states import RequestState
from sosa.infra import dead_letters, kafka, metrics
from sosa.infra.dead_letters import DeadLetters, Unreadable
from sosa.infra.decoding import read_outcome
from sosa.infra.outbox import OutboxRelay, outbox_table
from sosa.infra.settings import CommonSettings
from tests.unit.intake.builders import T0, transitioned

TOPIC = "t1.sosa.outcomes.v1"


def record(
    value: bytes, *, key: bytes | None = b"r1", headers: list[tuple[str, bytes]], offset: int = 7
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=TOPIC,
        partition=2,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=len(value),
        headers=tuple(headers),
    )


def kafka_record(
    payload: BaseModel, event_type: str, offset: int = 7, subject: str = "r1"
) -> ConsumerRecord[bytes, bytes]:
    key, value, headers = envelope.to_kafka(
        envelope.wrap(
            payload,
            event_id=getattr(payload, "event_id", "e1"),
            event_type=event_type,
            source="/t",
            subject=subject,
            time=T0,
        )
    )
    return record(value, key=key, headers=headers, offset=offset)


def test_provenance_headers_name_origin_error_and_consumer() -> None:
    headers = dead_letters.provenance_headers(
        topic=TOPIC, partition=2, offset=7, error=ValueError("bad bytes"), consumer="notifier"
    )
    assert headers == [
        ("sosa_original_topic", TOPIC.encode()),
        ("sosa_original_partition", b"2"),
        ("sosa_original_offset", b"7"),
        ("sosa_error", b"ValueError: bad bytes"),
        ("sosa_error_class", b"ValueError"),
        ("sosa_consumer", b"notifier"),
    ]


def test_the_original_headers_come_first_unchanged() -> None:
    original = [("ce_type", b"x"), ("traceparent", b"00-ab"), ("ce_type", b"twice")]
    headers = dead_letters.dead_letter_headers(
        original, topic=TOPIC, partition=0, offset=1, error=KeyError("k"), consumer="intake"
    )
    assert headers[:3] == original
    assert [name for name, _ in headers[3:]] == [
        "sosa_original_topic",
        "sosa_original_partition",
        "sosa_original_offset",
        "sosa_error",
        "sosa_error_class",
        "sosa_consumer",
    ]
    assert dict(headers)["sosa_consumer"] == b"intake"


def test_the_error_is_bounded() -> None:
    described = dead_letters.describe(ValueError("x" * 5000))
    assert described.startswith("ValueError: xxx")
    assert len(described) == dead_letters.MAX_ERROR_CHARS


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("no envelope", lambda good: record(b"\xff not an outcome", headers=[]), "no ce_id"),
        (
            "off the schema",
            lambda good: record(b'{"request_id": 1}', headers=list(good.headers)),
            "validation error",
        ),
        (
            "unknown type",
            lambda good: kafka_record(good_event(), "sosa.something.else.v1"),
            "unknown event type",
        ),
        (
            "subject of another request",
            lambda good: kafka_record(good_event(), "sosa.outcome.transitioned.v1", subject="r2"),
            "is not the event's own",
        ),
    ],
)
def test_a_record_that_is_no_outcome_raises(
    name: str, make: Callable[[ConsumerRecord[bytes, bytes]], Any], error: str
) -> None:
    good = kafka_record(good_event(), "sosa.outcome.transitioned.v1")
    with pytest.raises(ValueError, match=error):
        read_outcome(make(good))


def test_an_outcome_is_read_with_its_trace() -> None:
    event = good_event()
    assert read_outcome(kafka_record(event, "sosa.outcome.transitioned.v1")).event == event


def good_event() -> Any:
    return transitioned("r1", 1, RequestState.ROUTED)


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]]]] = []

    async def send_and_wait(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.append((topic, value, key, headers))


def counted(consumer: str) -> float:
    value: Any = metrics.DEAD_LETTERS.labels(consumer, TOPIC)._value.get()
    return float(value)


async def test_each_letter_is_sent_unchanged_after_retries_and_counted_once() -> None:
    sender = FlakySender(failures=2)
    sink = DeadLetters(sender, topic=f"{TOPIC}.dlq", consumer="unit-test", backoff_s=0.001)
    first = record(b"\x00one", headers=[("h", b"1")], offset=3)
    second = record(b"two", key=None, headers=[], offset=4)
    before = counted("unit-test")

    await sink.send([Unreadable(first, ValueError("one")), Unreadable(second, ValueError("two"))])

    assert [(t, v, k) for t, v, k, _ in sender.sent] == [
        (f"{TOPIC}.dlq", b"\x00one", b"r1"),
        (f"{TOPIC}.dlq", b"two", None),
    ]
    headers = dict(sender.sent[0][3])
    assert headers["h"] == b"1"
    assert headers["sosa_original_offset"] == b"3"
    assert headers["sosa_error"] == b"ValueError: one"
    assert headers["sosa_consumer"] == b"unit-test"
    assert counted("unit-test") == before + 2


class OneShotProducer:
    """A producer whose sends fail while `broken`; records what it sent."""

    def __init__(self, *, broken: bool = False) -> None:
        self.client = SimpleNamespace(_client_id="sosa-notifier-relay")
        self.broken = broken
        self.sent: list[bytes] = []
        self.stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def send_and_wait(self, topic: str, value: bytes, **_: Any) -> None:
        if self.broken:
            raise OutOfOrderSequenceNumber()
        self.sent.append(value)


async def test_the_relay_sends_dead_letters_and_renews_its_producer_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[OneShotProducer] = []

    def producer(_: CommonSettings, *, client_id: str) -> OneShotProducer:
        made.append(OneShotProducer())
        return made[-1]

    monkeypatch.setattr(kafka, "producer", producer)
    spoiled = OneShotProducer(broken=True)
    relay = OutboxRelay(
        None,  # type: ignore[arg-type]  # sending touches no database
        outbox_table(MetaData()),
        spoiled,
        CommonSettings(),
        lock_id=1,
    )
    with pytest.raises(OutOfOrderSequenceNumber):
        await relay.send_and_wait("t.dlq", b"letter", key=None, headers=[])
    await relay.send_and_wait("t.dlq", b"letter", key=None, headers=[])
    assert spoiled.stopped
    assert relay.producer is made[0]
    assert made[0].sent == [b"letter"]
