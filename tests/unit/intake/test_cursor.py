"""Cursors of the request list: opaque, round-trip exactly, refuse tampering and other filters."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from sosa.intake.cursor import InvalidCursorError, Position, decode_cursor, encode_cursor

POSITION = Position(
    received_at=datetime(2026, 12, 1, 15, 0, 0, 123456, tzinfo=UTC), request_id="r-1"
)


def test_a_cursor_round_trips_to_the_exact_position() -> None:
    token = encode_cursor(POSITION, "q1")
    assert decode_cursor(token, "q1") == POSITION
    assert "r-1" not in token  # opaque: no readable position in the token
    assert "=" not in token  # safe in a query string as is


def test_a_cursor_from_other_filters_is_refused() -> None:
    with pytest.raises(InvalidCursorError, match="other filters"):
        decode_cursor(encode_cursor(POSITION, "q1"), "q2")


@pytest.mark.parametrize(
    "token",
    [
        "not-base64-$$$",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"r": "yesterday", "i": "x", "q": "q1"}').decode(),
        base64.urlsafe_b64encode(b'{"r": "2026-12-01T15:00:00", "i": "x", "q": "q1"}').decode(),
        base64.urlsafe_b64encode(b'{"i": "x", "q": "q1"}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_a_malformed_cursor_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(token, "q1")
