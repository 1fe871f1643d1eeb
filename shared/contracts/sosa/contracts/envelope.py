"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, JSON data as the value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import BaseModel

from sosa.contracts.instants import check_instant

JSON: Final = "application/json"
_FORMAT: Final = JSONFormat()


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message as it travels: CloudEvents attributes, the Kafka key and the raw JSON data."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: bytes
    traceparent: str | None = None

    @property
    def key(self) -> bytes:
        """Kafka key: the request id (the subject), so one request's messages stay in order."""
        return self.subject.encode()


def wrap(
    payload: BaseModel,
    *,
    event_id: str,
    event_type: str,
    source: str,
    subject: str,
    time: datetime,
    traceparent: str | None = None,
) -> Envelope:
    """Put a pydantic payload into an envelope."""
    return Envelope(
        id=event_id,
        type=event_type,
        source=source,
        subject=subject,
        time=time,
        data=payload.model_dump_json().encode(),
        traceparent=traceparent,
    )


def to_kafka(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers for a Kafka record in CloudEvents binary content mode."""
    attributes: dict[str, object] = {
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time,
        "datacontenttype": JSON,
    }
    if envelope.traceparent:
        attributes["traceparent"] = envelope.traceparent
    message = ce_kafka.to_binary(CloudEvent(attributes, envelope.data), _FORMAT)
    return envelope.key, message.value, list(message.headers.items())


_SPECVERSION: Final = b"1.0"
_CONTENT_TYPE: Final = JSON.encode()


def trusted_headers(envelope: Envelope) -> tuple[tuple[str, bytes], ...]:
    """The headers `to_kafka` writes for `envelope`, byte for byte and in its order, built
    without the CloudEvents SDK validating again every attribute: for an envelope a service has
    just made itself, on a hot path (the router's outcomes: `sosa.router.outputs.Output.of`,
    whose test, `tests/unit/router/test_outputs.py`, compares the two for seven envelopes)."""
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
    return tuple(headers)


MAX_ATTRIBUTE_CHARS: Final = 256
"""The longest `ce_*` attribute read back: ids, types, sources and subjects are short names."""
_REQUIRED: Final = ("ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_specversion")
_READ: Final = frozenset({*_REQUIRED, "ce_traceparent", "content-type"})


class NotAnEnvelopeError(ValueError):
    """A Kafka record that is not a CloudEvents binary-mode record of ours."""


def from_kafka(
    value: bytes,
    headers: list[tuple[str, bytes | None]] | tuple[tuple[str, bytes | None], ...],
) -> Envelope:
    """Read an envelope back from a Kafka record; raises NotAnEnvelopeError (a ValueError) when
    it is not one of ours. Anything on the wire may be hostile: a header without a value, a header
    repeated (which of two ids would be the real one?), bytes that are not UTF-8, an attribute of
    a megabyte, another content type or CloudEvents version, or an absurd time."""
    found: dict[str, str] = {}
    for name, raw in headers:
        key = name.lower() if isinstance(name, str) else ""
        if key not in _READ:
            continue  # headers of others (and a replayed dead letter's sosa_*) are no concern
        if key in found:
            raise NotAnEnvelopeError(f"header {key!r} appears more than once")
        found[key] = _attribute(key, raw)
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise NotAnEnvelopeError(f"not a CloudEvents binary-mode record: no {', '.join(missing)}")
    if found["ce_specversion"] != "1.0":
        raise NotAnEnvelopeError(f"CloudEvents version {found['ce_specversion']!r}, not 1.0")
    content_type = found.get("content-type", JSON)
    if content_type.split(";")[0].strip().lower() != JSON:
        raise NotAnEnvelopeError(f"content type {content_type!r}, not {JSON}")
    try:
        time = check_instant(datetime.fromisoformat(found["ce_time"]))
    except ValueError as exc:
        raise NotAnEnvelopeError(f"ce_time: {exc}") from exc
    return Envelope(
        id=found["ce_id"],
        type=found["ce_type"],
        source=found["ce_source"],
        subject=found["ce_subject"],
        time=time,
        data=value,
        traceparent=found.get("ce_traceparent"),
    )


def _attribute(name: str, raw: bytes | None) -> str:
    if raw is None:
        raise NotAnEnvelopeError(f"header {name!r} has no value")
    if len(raw) > MAX_ATTRIBUTE_CHARS:
        raise NotAnEnvelopeError(f"header {name!r} is {len(raw)} bytes long")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotAnEnvelopeError(f"header {name!r} is not UTF-8") from exc
    if not text or not text.isprintable():
        raise NotAnEnvelopeError(f"header {name!r} is empty or has control characters")
    return text
