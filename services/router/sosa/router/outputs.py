"""Outputs of handling one input: Kafka records bound for topics, kept in the inbox as bytes.

An inbox row keeps its command's outputs in one `bytea` (`pack`, `unpack`): MessagePack
(`msgpack`) of `[format, [[topic, key, value, [[name, value], ...]], ...]]`, the key, the value
and the headers' values as MessagePack's binary type, so the records' own bytes with no base64
and no JSON around them. Format 1; migration `0004_inbox_records_as_bytes` turned the rows
written before (base64 in JSON) into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgpack

from sosa.contracts.envelope import Envelope, trusted_headers

FORMAT = 1
"""The number `pack` writes first; `unpack` refuses any other (a row of a newer router)."""


@dataclass(frozen=True, slots=True)
class Output:
    """One record to publish: a contract topic name (unprefixed), key, value and headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, topic: str, envelope: Envelope) -> Output:
        """One of the router's own envelopes as a CloudEvents binary-mode record, its headers
        built without the SDK's re-validation (`sosa.contracts.envelope.trusted_headers`)."""
        return cls(topic, envelope.key, envelope.data, trusted_headers(envelope))


def pack(outputs: Iterable[Output]) -> bytes:
    """The outputs as one inbox value (format 1, the module's docstring)."""
    records = [[o.topic, o.key, o.value, [list(h) for h in o.headers]] for o in outputs]
    packed: bytes = msgpack.packb([FORMAT, records], use_bin_type=True)
    return packed


def unpack(data: bytes) -> list[Output]:
    """The outputs `pack` stored; raises ValueError on any other bytes."""
    try:
        version, records = msgpack.unpackb(data, raw=False, use_list=False)
        if version != FORMAT:
            raise ValueError(f"inbox records in format {version}, not {FORMAT}")
        return [_output(*record) for record in records]
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise ValueError(f"not an inbox value: {exc}") from exc


def _output(topic: object, key: object, value: object, headers: object) -> Output:
    if not (
        isinstance(topic, str)
        and (key is None or isinstance(key, bytes))
        and isinstance(value, bytes)
        and isinstance(headers, tuple)
        and all(len(h) == 2 and isinstance(h[0], str) and isinstance(h[1], bytes) for h in headers)
    ):
        raise ValueError("an inbox value's record is not (topic, key, value, headers)")
    return Output(topic, key, value, tuple((name, raw) for name, raw in headers))
