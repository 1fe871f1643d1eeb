"""Outputs remembered in the inbox come back exactly as they were, bytes and headers included."""

from __future__ import annotations

from datetime import UTC, datetime

from sosa.contracts.envelope import Envelope
from sosa.router.outputs import Output


def test_an_envelope_output_survives_the_inbox_round_trip() -> None:
    output = Output.of(
        "sosa.outcomes.v1",
        Envelope(
            id="e",
            type="t",
            source="/s",
            subject="r",
            time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            data=b'{"k":"v"}',
        ),
    )
    assert output.key == b"r"
    assert dict(output.headers)["ce_id"] == b"e"
    assert Output.from_json(output.to_json()) == output


def test_a_raw_dead_letter_survives_the_inbox_round_trip() -> None:
    output = Output(
        topic="sosa.requests.v1.dlq",
        key=None,
        value=b"\xff\x00not json",
        headers=(("sosa_error", b"ValueError: boom"), ("ce_id", b"\x80")),
    )
    assert Output.from_json(output.to_json()) == output
