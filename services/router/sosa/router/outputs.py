"""Outputs of handling one input: Kafka records bound for topics, kept in the inbox as bytes.

An inbox row keeps its command's outputs in one `bytea` (`pack`, `unpack`): the records' own
bytes, each behind its length, with no base64 and no JSON around them. Format 1, big-endian:
the format's number (1 byte) and the number of records (4 bytes); then per record the number
of its headers (4 bytes), the lengths of its fields (4 bytes each; 0xFFFFFFFF: none) and the
fields' bytes one after another: the topic (UTF-8), the key, the value, then each header's name
(UTF-8) and value.
Migration `0004_inbox_records_as_bytes` turned the rows written before (base64 in JSON) into it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from sosa.contracts.envelope import JSON, Envelope

FORMAT = 1
"""The number `pack` writes first; `unpack` refuses any other (a row of a newer router)."""
_NONE = 0xFFFFFFFF
_HEAD = struct.Struct(">BI")
_U32 = struct.Struct(">I")
_SPECVERSION = b"1.0"
_CONTENT_TYPE = JSON.encode()


@dataclass(frozen=True, slots=True)
class Output:
    """One record to publish: a contract topic name (unprefixed), key, value and headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, topic: str, envelope: Envelope) -> Output:
        """One of the router's own envelopes as a CloudEvents binary-mode record: the headers
        `sosa.contracts.envelope.to_kafka` writes, byte for byte and in its order, built here
        without the CloudEvents SDK validating again every attribute the router has just made
        (`tests/unit/router/test_outputs.py` compares the two)."""
        time = envelope.time.isoformat()
        if time.endswith("+00:00"):
            time = time[:-6] + "Z"
        headers = [
            ("ce_id", envelope.id.encode()),
            ("ce_type", envelope.type.encode()),
            ("ce_source", envelope.source.encode()),
            ("ce_subject", envelope.subject.encode()),
            ("ce_time", time.encode()),
            ("content-type", _CONTENT_TYPE),
        ]
        if envelope.traceparent:
            headers.append(("ce_traceparent", envelope.traceparent.encode()))
        headers.append(("ce_specversion", _SPECVERSION))
        return cls(topic=topic, key=envelope.key, value=envelope.data, headers=tuple(headers))


def pack(outputs: Iterable[Output]) -> bytes:
    """The outputs as one inbox value (format 1, the module's docstring)."""
    records = list(outputs)
    parts = [_HEAD.pack(FORMAT, len(records))]
    for record in records:
        fields = [record.topic.encode(), record.key, record.value]
        for name, value in record.headers:
            fields.append(name.encode())
            fields.append(value)
        lengths = [_NONE if f is None else len(f) for f in fields]
        parts.append(struct.pack(f">I{len(lengths)}I", len(record.headers), *lengths))
        parts.extend(f for f in fields if f is not None)
    return b"".join(parts)


def unpack(data: bytes) -> list[Output]:
    """The outputs `pack` stored; raises ValueError on any other bytes."""
    try:
        return _unpack(memoryview(data))
    except struct.error as exc:
        raise ValueError(f"not an inbox value: {exc}") from exc


def _unpack(view: memoryview) -> list[Output]:
    version, count = _HEAD.unpack_from(view)
    if version != FORMAT:
        raise ValueError(f"inbox records in format {version}, not {FORMAT}")
    at = _HEAD.size
    outputs = []
    for _ in range(count):
        (headers,) = _U32.unpack_from(view, at)
        at += _U32.size
        lengths = struct.unpack_from(f">{3 + 2 * headers}I", view, at)
        at += 4 * len(lengths)
        fields: list[bytes | None] = []
        for size in lengths:
            if size == _NONE:
                fields.append(None)
                continue
            if at + size > len(view):
                raise ValueError("an inbox value cut short")
            fields.append(bytes(view[at : at + size]))
            at += size
        topic, key, value, *pairs = fields
        names, values = pairs[::2], pairs[1::2]
        if topic is None or value is None or None in names:
            raise ValueError("a topic, value or header name missing from an inbox value")
        outputs.append(
            Output(
                topic.decode(),
                key,
                value,
                tuple((bytes(n or b"").decode(), v) for n, v in zip(names, values, strict=True)),  # type: ignore[misc]
            )
        )
    if at != len(view):
        raise ValueError("bytes left over after an inbox value's records")
    return outputs
