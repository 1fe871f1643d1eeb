"""Cursors of the request list: opaque, round-trip exactly, refuse tampering and other filters."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from sosa.intake.views.cursor import InvalidCursorError, Position, decode_cursor, encode_cursor


def _raw(fields: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()


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
        # positions no request can have: each would fail in the database, not here
        _raw({"r": "0001-01-01T00:00:00+14:00", "i": "x", "q": "q1"}),
        _raw({"r": "9999-12-31T23:59:59-14:00", "i": "x", "q": "q1"}),
        _raw({"r": "1899-12-31T23:59:59+00:00", "i": "x", "q": "q1"}),
        _raw({"r": "2026-12-01T15:00:00+00:00", "i": "a\u0000b", "q": "q1"}),
        _raw({"r": "2026-12-01T15:00:00+00:00", "i": 7, "q": "q1"}),
        _raw({"r": "2026-12-01T15:00:00+00:00", "i": "x" * 129, "q": "q1"}),
        _raw({"r": 20261201, "i": "x", "q": "q1"}),
    ],
)
def test_a_malformed_cursor_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(token, "q1")
