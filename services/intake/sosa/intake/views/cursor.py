"""Opaque cursors of the request list and of a supplier's work order: where the last page ended,
bound to the query it came from.

A cursor is the keyset position (received_at, request_id) of the last item served plus a short
fingerprint of the filters, base64url-encoded. Clients must treat it as opaque; a cursor that was
tampered with or that belongs to other filters is refused rather than silently misread, and so is
one whose position no request can have (a time without offset or outside 1900-2200, an id that
is no id): the list answers 422 naming `cursor`, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sosa.contracts.instants import check_instant
from sosa.infra.resource_ids import PATTERN


class InvalidCursorError(ValueError):
    """The cursor is not one intake issued for this query."""


def check_request_id(value: object) -> str:
    """`value` when it has the shape of a request id; ValueError otherwise (a NUL byte, say,
    which PostgreSQL would refuse in the list's query)."""
    if not isinstance(value, str) or not re.fullmatch(PATTERN, value):
        raise ValueError("not a request id")
    return value


@dataclass(frozen=True, slots=True)
class Position:
    """The sort key of the last item of a page: the list is ordered by (received_at, id)."""

    received_at: datetime
    request_id: str


def encode_cursor(position: Position, query_key: str) -> str:
    raw = json.dumps(
        {"r": position.received_at.isoformat(), "i": position.request_id, "q": query_key},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, query_key: str) -> Position:
    """The position a cursor names; InvalidCursorError when it is malformed or for other filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        position = Position(
            received_at=check_instant(datetime.fromisoformat(fields["r"])),
            request_id=check_request_id(fields["i"]),
        )
        issued_for = fields["q"]
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidCursorError("not a cursor this list issued") from exc
    if issued_for != query_key:
        raise InvalidCursorError("the cursor belongs to a list with other filters")
    return position


@dataclass(frozen=True, slots=True)
class OrderPosition:
    """The sort key of the last order of a work order's page (`sosa.rules.schedule_key` as the
    index holds it: precedence 0 for DX, 1 for DO, 2 unrated; the required date, undated as
    9999-12-31; when it was rated; its id) and its place in the whole sequence."""

    precedence: int
    due: date
    rated_as_of: datetime
    request_id: str
    position: int


def encode_order_cursor(position: OrderPosition, supplier_id: str) -> str:
    raw = json.dumps(
        {
            "p": position.precedence,
            "d": position.due.isoformat(),
            "r": position.rated_as_of.isoformat(),
            "i": position.request_id,
            "n": position.position,
            "q": supplier_id,
        },
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_order_cursor(token: str, supplier_id: str) -> OrderPosition:
    """The position a work order's cursor names; InvalidCursorError when it is malformed, names
    a position no order can have, or belongs to another supplier's work order."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        position = OrderPosition(
            precedence=_whole(fields["p"], 0, 2),
            due=date.fromisoformat(fields["d"]),
            rated_as_of=check_instant(datetime.fromisoformat(fields["r"])),
            request_id=check_request_id(fields["i"]),
            position=_whole(fields["n"], 1, 10**9),
        )
        issued_for = fields["q"]
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidCursorError("not a cursor this work order issued") from exc
    if issued_for != supplier_id:
        raise InvalidCursorError("the cursor belongs to another supplier's work order")
    return position


def _whole(value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError("out of range")
    return value
