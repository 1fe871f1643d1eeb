"""What the operators' panel of the dashboard shows about the pipeline itself: how far each
consumer group is behind, and the dead letters.

Lag is measured from the broker, not from one process's metrics, so it covers every instance of
a group: for each partition of the topic the group reads, the end offset (last stable offset)
minus the group's committed offset (or, where it has committed nothing yet, minus the
partition's first offset: the groups start from the earliest record).

Dead letters are counted by reading the dead-letter topics (`read_committed`) once from their
start and then only what is new, keeping a tally per topic and per consumer that gave up and the
most recent letters with their error. Both are refreshed every `interval_s` by one worker; a
broker that is away leaves the last figures in place, marked with when they were measured.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord
from pydantic import AwareDatetime, BaseModel, Field

from sosa.contracts import topics
from sosa.infra import kafka
from sosa.infra.clock import Clock
from sosa.infra.kafka_security import client_options
from sosa.intake.settings import IntakeSettings

log = logging.getLogger(__name__)
RECENT = 20


@dataclass(frozen=True, slots=True)
class GroupLag:
    service: str
    group: str
    topic: str
    lag: int
    partitions: int


@dataclass(frozen=True, slots=True)
class DeadLetterSeen:
    topic: str
    partition: int
    offset: int
    at: datetime
    consumer: str | None
    event_type: str | None
    original: str | None
    error: str


@dataclass(slots=True)
class Snapshot:
    lag: list[GroupLag] = field(default_factory=list)
    lag_measured_at: datetime | None = None
    dead_letters: Counter[str] = field(default_factory=Counter)
    dead_letters_by_consumer: Counter[str] = field(default_factory=Counter)
    recent_dead_letters: deque[DeadLetterSeen] = field(default_factory=lambda: deque(maxlen=RECENT))
    dead_letters_read_at: datetime | None = None
    error: str | None = None


def watched_groups(settings: IntakeSettings) -> dict[str, tuple[str, str]]:
    """Service -> (its consumer group, the topic that group reads), as this deployment names
    them (the router's and notifier's groups are read from the same variables they use)."""
    return {
        "router": (settings.router_group, settings.topic(topics.REQUESTS)),
        "notifier": (settings.notifier_group, settings.topic(topics.OUTCOMES)),
        "intake": (settings.intake_read_model_group, settings.topic(topics.OUTCOMES)),
    }


_MAX_HEADER_BYTES = 1000


def _header(headers: Mapping[str, bytes | None], name: str) -> str | None:
    """A header as text, bounded: anyone who can write to a dead-letter topic chooses it."""
    value = headers.get(name)
    return value[:_MAX_HEADER_BYTES].decode(errors="replace") if value is not None else None


class PipelineWatch:
    def __init__(self, settings: IntakeSettings, clock: Clock, *, interval_s: float = 5.0) -> None:
        self._settings = settings
        self._clock = clock
        self._interval_s = interval_s
        self._groups = watched_groups(settings)
        self._dlq_topics = [
            settings.topic(topics.dead_letter(topics.REQUESTS)),
            settings.topic(topics.dead_letter(topics.OUTCOMES)),
            settings.topic(topics.dead_letter(topics.PARTIES)),
        ]
        # the router's own dead letters do not name it: it is the only one writing there
        self._default_consumer = {settings.topic(topics.dead_letter(topics.REQUESTS)): "router"}
        self.snapshot = Snapshot()

    async def run(self) -> None:
        admin = kafka.admin(self._settings, client_id="sosa-intake-watch")
        reader = AIOKafkaConsumer(
            **client_options(self._settings),
            client_id="sosa-intake-watch",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        try:
            while True:  # the broker was reachable at start-up; it may be away for a moment
                try:
                    await admin.start()
                    await reader.start()
                    break
                except Exception as exc:
                    self.snapshot.error = f"{type(exc).__name__}: {exc}"[:300]
                    await asyncio.sleep(self._interval_s)
            while True:
                try:
                    partitions = await self._partitions(admin)
                    await self._measure_lag(admin, reader, partitions)
                    await self._read_dead_letters(reader, partitions)
                    self.snapshot.error = None
                except Exception as exc:  # a broker away: keep the last figures, say why
                    self.snapshot.error = f"{type(exc).__name__}: {exc}"[:300]
                    log.debug("pipeline not measured: %r", exc)
                await asyncio.sleep(self._interval_s)
        finally:
            await kafka.close_quietly(reader)
            await kafka.close_quietly(admin)

    async def _partitions(self, admin: AIOKafkaAdminClient) -> dict[str, list[TopicPartition]]:
        """The partitions of every topic watched (those that exist: all do once the services
        have started, as each creates the contract topics)."""
        names = sorted({t for _, t in self._groups.values()} | set(self._dlq_topics))
        found: dict[str, list[TopicPartition]] = {}
        for topic in await admin.describe_topics(names):
            if topic["error_code"] == 0:
                numbers = sorted(p["partition"] for p in topic["partitions"])
                found[topic["topic"]] = [TopicPartition(topic["topic"], n) for n in numbers]
        return found

    async def _measure_lag(
        self,
        admin: AIOKafkaAdminClient,
        reader: AIOKafkaConsumer,
        of_topic: dict[str, list[TopicPartition]],
    ) -> None:
        measured: list[GroupLag] = []
        for service, (group, topic) in self._groups.items():
            partitions = of_topic.get(topic)
            if not partitions:
                continue
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            ends = await reader.end_offsets(partitions)
            starts = await reader.beginning_offsets(partitions)
            lag = 0
            for partition in partitions:
                offset = committed.get(partition)
                position = offset.offset if offset is not None and offset.offset >= 0 else -1
                position = max(position, starts[partition])
                lag += max(ends[partition] - position, 0)
            measured.append(GroupLag(service, group, topic, lag, len(partitions)))
        self.snapshot.lag = measured
        self.snapshot.lag_measured_at = self._clock.now()

    async def _read_dead_letters(
        self, reader: AIOKafkaConsumer, of_topic: dict[str, list[TopicPartition]]
    ) -> None:
        wanted: set[TopicPartition] = set()
        for topic in self._dlq_topics:
            wanted.update(of_topic.get(topic, []))
        assigned = set(reader.assignment())
        if wanted - assigned:
            reader.assign(sorted(wanted | assigned))
            new = list(wanted - assigned)
            await reader.seek_to_beginning(*new)
        if wanted:
            ends = await reader.end_offsets(sorted(wanted))
            for _ in range(100):  # bounded: the rest is read in the next round
                batches = await reader.getmany(timeout_ms=200, max_records=1000)
                for records in batches.values():
                    for record in records:
                        self._count(record)
                if all([await reader.position(p) >= end for p, end in ends.items()]):
                    break
        self.snapshot.dead_letters_read_at = self._clock.now()

    def _count(self, record: ConsumerRecord[bytes, bytes]) -> None:
        headers = dict(record.headers)
        topic = record.topic
        consumer = _header(headers, "sosa_consumer") or self._default_consumer.get(topic)
        self.snapshot.dead_letters[topic] += 1
        self.snapshot.dead_letters_by_consumer[consumer or "unknown"] += 1
        original = None
        if "sosa_original_topic" in headers:
            original = "/".join(
                _header(headers, name) or "?"
                for name in (
                    "sosa_original_topic",
                    "sosa_original_partition",
                    "sosa_original_offset",
                )
            )
        self.snapshot.recent_dead_letters.appendleft(
            DeadLetterSeen(
                topic=topic,
                partition=record.partition,
                offset=record.offset,
                at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
                consumer=consumer,
                event_type=_header(headers, "ce_type"),
                original=original,
                error=_header(headers, "sosa_error") or "",
            )
        )


class LagOut(BaseModel):
    service: str
    group: str
    topic: str
    lag: int = Field(description="Records not yet committed by the group, over all partitions.")
    partitions: int


class DeadLetterOut(BaseModel):
    topic: str
    partition: int
    offset: int
    at: AwareDatetime
    consumer: str | None = Field(description="The service that gave up on the record.")
    event_type: str | None
    original: str | None = Field(description="topic/partition/offset it was read from.")
    error: str


class PipelineOut(BaseModel):
    """The operators' panel: consumer lag and dead letters, as last measured."""

    lag: list[LagOut]
    lag_measured_at: AwareDatetime | None
    dead_letters: dict[str, int] = Field(description="Dead letters per dead-letter topic.")
    dead_letters_by_consumer: dict[str, int]
    recent_dead_letters: list[DeadLetterOut] = Field(description=f"The {RECENT} latest.")
    dead_letters_read_at: AwareDatetime | None
    error: str | None = Field(description="Why the last measurement failed, if it did.")

    @classmethod
    def of(cls, snapshot: Snapshot) -> PipelineOut:
        return cls(
            lag=[LagOut.model_validate(g, from_attributes=True) for g in snapshot.lag],
            lag_measured_at=snapshot.lag_measured_at,
            dead_letters=dict(snapshot.dead_letters),
            dead_letters_by_consumer=dict(snapshot.dead_letters_by_consumer),
            recent_dead_letters=[
                DeadLetterOut.model_validate(x, from_attributes=True)
                for x in snapshot.recent_dead_letters
            ],
            dead_letters_read_at=snapshot.dead_letters_read_at,
            error=snapshot.error,
        )
