"""Outputs of handling one input: Kafka records bound for topics, storable in the inbox as JSON."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sosa.contracts.envelope import Envelope, to_kafka


@dataclass(frozen=True, slots=True)
class Output:
    """One record to publish: a contract topic name (unprefixed), key, value and headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, topic: str, envelope: Envelope) -> Output:
        """An envelope as a CloudEvents binary-mode record."""
        key, value, headers = to_kafka(envelope)
        return cls(topic=topic, key=key, value=value, headers=tuple(headers))

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "key": _b64(self.key) if self.key is not None else None,
            "value": _b64(self.value),
            "headers": [[name, _b64(value)] for name, value in self.headers],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Output:
        return cls(
            topic=raw["topic"],
            key=base64.b64decode(raw["key"]) if raw["key"] is not None else None,
            value=base64.b64decode(raw["value"]),
            headers=tuple((name, base64.b64decode(value)) for name, value in raw["headers"]),
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
