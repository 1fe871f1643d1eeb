"""Outputs of handling one input: envelopes bound for topics, storable in the inbox as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sosa.contracts.envelope import Envelope


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    envelope: Envelope
    extra_headers: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        e = self.envelope
        return {
            "topic": self.topic,
            "id": e.id,
            "type": e.type,
            "source": e.source,
            "subject": e.subject,
            "time": e.time.isoformat(),
            "data": e.data.decode(),
            "traceparent": e.traceparent,
            "extra_headers": [list(h) for h in self.extra_headers],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Output:
        return cls(
            topic=raw["topic"],
            envelope=Envelope(
                id=raw["id"],
                type=raw["type"],
                source=raw["source"],
                subject=raw["subject"],
                time=datetime.fromisoformat(raw["time"]),
                data=raw["data"].encode(),
                traceparent=raw.get("traceparent"),
            ),
            extra_headers=tuple((str(n), str(v)) for n, v in raw.get("extra_headers", [])),
        )
