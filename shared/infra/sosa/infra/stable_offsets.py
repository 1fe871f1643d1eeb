"""The group's committed offset of a partition, read as Kafka's stable offset fetch (KIP-447).

aiokafka's `consumer.committed()` sends OffsetFetch v3 at most. Such a fetch is answered from what
the group coordinator has made visible so far, and a transactional offset commit that has just
completed may not be visible yet: the fault suite under heavy load caught a router reading the
offset from before a transaction that had already settled (its producer's fencing had returned),
reading that batch again and publishing its outcomes twice. OffsetFetch v7 with
`require_stable` asks for the latest offsets instead, and the coordinator answers
UNSTABLE_OFFSET_COMMIT while a transaction with offsets for the partition is still open; this
module sends it and waits that error out.

aiokafka has the protocol types (compact strings and arrays, tagged fields) but no v7 class, so
the request and response are declared here from Kafka's message definitions
(OffsetFetchRequest.json and OffsetFetchResponse.json, version 7).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import for_code
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Boolean,
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Int64,
    Schema,
    TaggedFields,
)

_API_KEY = 9
_UNSTABLE_OFFSET_COMMIT = 88
_RETRIABLE = {
    _UNSTABLE_OFFSET_COMMIT,
    14,  # COORDINATOR_LOAD_IN_PROGRESS
    15,  # COORDINATOR_NOT_AVAILABLE
    16,  # NOT_COORDINATOR
}


class OffsetFetchResponseV7(Response):  # type: ignore[misc]
    API_KEY = _API_KEY
    API_VERSION = 7
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")),
                (
                    "partitions",
                    CompactArray(
                        ("partition_index", Int32),
                        ("committed_offset", Int64),
                        ("committed_leader_epoch", Int32),
                        ("metadata", CompactString("utf-8")),
                        ("error_code", Int16),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("error_code", Int16),
        ("tags", TaggedFields),
    )


class OffsetFetchRequestV7(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = _API_KEY
    API_VERSION = 7
    RESPONSE_TYPE = OffsetFetchResponseV7
    SCHEMA = Schema(
        ("group_id", CompactString("utf-8")),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("partition_indexes", CompactArray(Int32)),
                ("tags", TaggedFields),
            ),
        ),
        ("require_stable", Boolean),
        ("tags", TaggedFields),
    )


class StableOffsetFetch(Request[OffsetFetchRequestV7]):  # type: ignore[misc]
    """What aiokafka's connection sends: it picks the struct for the broker's versions (v7 only;
    a broker without it fails with IncompatibleBrokerVersion/NotImplementedError)."""

    API_KEY = _API_KEY

    def __init__(self, group_id: str, partition: TopicPartition) -> None:
        self._group_id = group_id
        self._partition = partition

    def build(self, request_struct_class: type[OffsetFetchRequestV7]) -> OffsetFetchRequestV7:
        topics: list[tuple[str, list[int], dict[int, bytes]]] = [
            (self._partition.topic, [self._partition.partition], {})
        ]
        return request_struct_class(self._group_id, topics, True, {})


class UnstableOffsets(Exception):  # noqa: N818 (a condition the caller retries)
    """The coordinator still answered UNSTABLE_OFFSET_COMMIT (or none) at the deadline."""


async def committed_stable(
    consumer: AIOKafkaConsumer,
    partition: TopicPartition,
    *,
    timeout_s: float = 30.0,
    retry_s: float = 0.05,
) -> int | None:
    """The offset `group_id` has committed for `partition` (None if none), with no transaction
    that commits offsets for it still open. Uses the consumer's own connections to the group
    coordinator (aiokafka's client and coordinator, which offer no public way to send this)."""
    client: Any = consumer._client
    coordinator: Any = consumer._coordinator
    request = StableOffsetFetch(consumer._group_id, partition)
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await coordinator.ensure_coordinator_known()
                response = await client.send(coordinator.coordinator_id, request)
                error, offset = _read(response, partition)
                if error == 0:
                    return None if offset < 0 else offset
                if error not in _RETRIABLE:
                    raise for_code(error)(f"OffsetFetch v7 for {partition}")
                if error == 16:  # NOT_COORDINATOR: look it up again
                    coordinator.coordinator_dead()
                await asyncio.sleep(retry_s)
    except TimeoutError as exc:
        raise UnstableOffsets(f"{partition}: no stable offset within {timeout_s} s") from exc


def _read(response: Any, partition: TopicPartition) -> tuple[int, int]:
    """(error code, committed offset) of `partition` in a v7 response."""
    if response.error_code:
        return int(response.error_code), -1
    for name, partitions, _ in response.topics:
        if name != partition.topic:
            continue
        for index, offset, _epoch, _metadata, error, _ in partitions:
            if index == partition.partition:
                return int(error), int(offset)
    return 0, -1
