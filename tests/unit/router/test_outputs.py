"""Outputs remembered in the inbox come back exactly as they were."""

from __future__ import annotations

from datetime import UTC, datetime

from sosa.contracts.envelope import Envelope
from sosa.router.outputs import Output


def test_output_survives_the_inbox_round_trip() -> None:
    output = Output(
        topic="sosa.outcomes.v1",
        envelope=Envelope(
            id="e",
            type="t",
            source="/s",
            subject="r",
            time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            data=b'{"k":"v"}',
        ),
        extra_headers=(("sosa_error", "boom"),),
    )
    assert Output.from_json(output.to_json()) == output
