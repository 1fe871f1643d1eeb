"""CloudEvents binary mode: what goes into Kafka headers comes back out unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sosa.contracts import envelope


def make(**overrides: object) -> envelope.Envelope:
    fields: dict[str, object] = {
        "id": "evt-1",
        "type": "sosa.command.submit.v1",
        "source": "/sosa/intake",
        "subject": "req-1",
        "time": datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
        "data": b'{"a": 1}',
    }
    fields.update(overrides)
    return envelope.Envelope(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_attribute_and_the_data() -> None:
    original = make(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    key, value, headers = envelope.to_kafka(original)
    assert key == b"req-1"
    assert value == b'{"a": 1}'
    assert envelope.from_kafka(value, headers) == original


def test_headers_follow_the_kafka_binary_binding() -> None:
    _, _, headers = envelope.to_kafka(make())
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_id"] == b"evt-1"
    assert names["ce_type"] == b"sosa.command.submit.v1"
    assert names["content-type"] == b"application/json"
    assert names["ce_time"] == b"2026-11-25T13:00:00Z"


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source", "ce_subject", "ce_time"])
def test_a_record_without_a_required_attribute_is_refused(missing: str) -> None:
    _, value, headers = envelope.to_kafka(make())
    with pytest.raises(ValueError, match="not a CloudEvents"):
        envelope.from_kafka(value, [(n, v) for n, v in headers if n != missing])
