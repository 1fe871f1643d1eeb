"""Outputs remembered in the inbox come back exactly as they were, bytes and headers included;
the router's own envelopes become the records `to_kafka` makes, byte for byte."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import msgpack
import pytest

from sosa.contracts.envelope import Envelope, from_kafka, to_kafka
from sosa.router.outputs import Output, pack, unpack

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def envelope(**changes: object) -> Envelope:
    fields: dict[str, object] = {
        "id": "e",
        "type": "t",
        "source": "/s",
        "subject": "r",
        "time": T0,
        "data": b'{"k":"v"}',
    }
    return Envelope(**(fields | changes))  # type: ignore[arg-type]


def test_an_envelope_output_survives_the_inbox_round_trip() -> None:
    output = Output.of("sosa.outcomes.v1", envelope())
    assert output.key == b"r"
    assert dict(output.headers)["ce_id"] == b"e"
    assert unpack(pack([output])) == [output]


def test_a_raw_dead_letter_survives_the_inbox_round_trip() -> None:
    output = Output(
        topic="sosa.requests.v1.dlq",
        key=None,
        value=b"\xff\x00not json",
        headers=(("sosa_error", b"ValueError: boom"), ("ce_id", b"\x80"), ("empty", b"")),
    )
    assert unpack(pack([output])) == [output]


def test_several_outputs_none_and_a_large_value_survive_in_their_order() -> None:
    outputs = [
        Output.of("sosa.outcomes.v1", envelope(id=f"e-{n}", traceparent=f"00-{n:032x}-{n:016x}-01"))
        for n in range(3)
    ] + [Output(topic="t\u00e9", key=b"", value=b"\x00" * 70_000, headers=())]
    assert unpack(pack(outputs)) == outputs
    assert unpack(pack([])) == []


@pytest.mark.parametrize(
    "stored",
    [
        b"",
        msgpack.packb([2, []]),  # another format's number
        msgpack.packb({"format": 1}),  # not a pair
        msgpack.packb([1, [["t", b"k", "a text value", []]]]),  # a value not bytes
        msgpack.packb([1, [["t", b"k", b"v", [["ce_id"]]]]]),  # a header without its value
        msgpack.packb([1, [[b"t", None, b"v", []]]]),  # a topic not text
        pack([Output(topic="t", key=b"k", value=b"v", headers=())])[:-1],  # cut short
        pack([Output(topic="t", key=b"k", value=b"v", headers=())]) + b"x",  # bytes left over
    ],
)
def test_bytes_that_are_not_an_inbox_value_are_refused(stored: bytes) -> None:
    with pytest.raises(ValueError, match=r"inbox (value|records)"):
        unpack(stored)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        {"traceparent": ""},
        {"time": datetime(2026, 12, 7, 13, 5, 9, 123456, tzinfo=UTC)},
        {"time": datetime(2026, 12, 7, 13, 5, 9, tzinfo=timezone(timedelta(hours=2)))},
        {"subject": "r-\u00e9\u4e2d", "source": "/router", "type": "sosa.outcome.escalated.v1"},
        {"id": "5f0c1a6e-8a55-4b6c-a2a4-1f2b3c4d5e6f", "data": b""},
    ],
)
def test_an_envelope_becomes_the_record_the_cloudevents_sdk_makes(
    changes: dict[str, object],
) -> None:
    made = envelope(**changes)
    key, value, headers = to_kafka(made)
    output = Output.of("sosa.outcomes.v1", made)
    assert (output.key, output.value, list(output.headers)) == (key, value, headers)
    assert from_kafka(output.value, output.headers) == replace(
        made, traceparent=made.traceparent or None
    )
