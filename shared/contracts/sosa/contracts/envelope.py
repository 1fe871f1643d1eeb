"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, JSON data as the value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import BaseModel

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


def from_kafka(
    value: bytes, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]
) -> Envelope:
    """Read an envelope back from a Kafka record; raises ValueError when it is not one of ours."""
    found = {name.lower(): raw for name, raw in headers}
    try:
        event_id = found["ce_id"].decode()
        event_type = found["ce_type"].decode()
        source = found["ce_source"].decode()
        subject = found["ce_subject"].decode()
        time = datetime.fromisoformat(found["ce_time"].decode())
    except (KeyError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"not a CloudEvents binary-mode record: {exc}") from exc
    traceparent = found.get("ce_traceparent")
    return Envelope(
        id=event_id,
        type=event_type,
        source=source,
        subject=subject,
        time=time,
        data=value,
        traceparent=traceparent.decode() if traceparent else None,
    )
