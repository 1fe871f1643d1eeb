"""Dead-letter topics: list what is in them and send it back where it came from.

Replay (`sosa.infra.dead_letter_replay`, shared with intake's operator-only HTTP replay)
republishes each dead letter once, unchanged, to its original topic. It writes to the services'
own topics, which only the services' principals and the super user may: `sosa dlq replay` runs
as the super user (docs/operations.md); the operators' principal is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sosa.contracts import topics
from sosa.infra.dead_letter_replay import header, replay
from sosa.infra.settings import CommonSettings
from sosa.ops.reading import read_to_end

__all__ = ["DeadLetter", "read", "replay"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    original: str
    error: str
    event_type: str | None
    consumer: str | None
    """The service that gave up on it (the router's own letters do not say)."""


async def read(settings: CommonSettings, topic: str, *, limit: int) -> list[DeadLetter]:
    """Up to `limit` dead letters of `topic`, oldest first, without consuming them."""
    dlq = settings.topic(topics.dead_letter(topic))
    records = await read_to_end(settings, dlq)
    return [_letter(r) for r in records[:limit]]


def _letter(record: object) -> DeadLetter:
    headers = list(record.headers)  # type: ignore[attr-defined]
    return DeadLetter(
        partition=record.partition,  # type: ignore[attr-defined]
        offset=record.offset,  # type: ignore[attr-defined]
        key=record.key.decode(errors="replace") if record.key else None,  # type: ignore[attr-defined]
        original=f"{header(headers, 'sosa_original_topic')}/"
        f"{header(headers, 'sosa_original_partition')}/{header(headers, 'sosa_original_offset')}",
        error=header(headers, "sosa_error") or "",
        event_type=header(headers, "ce_type"),
        consumer=header(headers, "sosa_consumer"),
    )
