"""The router's producer per input partition: a batch never finds its partition without one.

aiokafka sets a new assignment, and may hand out its records, before it calls
`on_partitions_assigned` (and it only logs that callback's failure); the fault suite's cluster
scenario caught the router dying of a KeyError there.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import TopicPartition

from sosa.infra import kafka
from sosa.infra.settings import CommonSettings
from sosa.router.producers import PartitionProducers


class FakeProducer:
    def __init__(self, log: list[str], fail: bool, **options: Any) -> None:
        self.id = str(options["transactional_id"])
        self._log = log
        self._fail = fail

    async def start(self) -> None:
        if self._fail:
            raise ConnectionError("no broker")
        self._log.append(self.id)

    async def stop(self) -> None:
        pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    log: list[str] = []

    def producer(_: CommonSettings, **options: Any) -> FakeProducer:
        return FakeProducer(log, False, **options)

    monkeypatch.setattr(kafka, "producer", producer)
    return log


async def test_a_batch_before_the_listener_gets_its_producer_started(started: list[str]) -> None:
    producers = PartitionProducers(CommonSettings(), id_prefix="router")
    first, second = TopicPartition("requests", 0), TopicPartition("requests", 1)
    async with producers.lock:  # as the processor holds it
        one = await producers.for_partition(first)
    assert started == ["router-requests-0"]
    await producers.on_partitions_assigned([first, second])
    assert started == ["router-requests-0", "router-requests-1"]  # none started twice
    async with producers.lock:
        assert await producers.for_partition(first) is one


async def test_a_producer_that_failed_to_start_is_started_again_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[bool] = []

    def producer(_: CommonSettings, **options: Any) -> FakeProducer:
        attempts.append(True)
        return FakeProducer([], fail=len(attempts) == 1, **options)

    monkeypatch.setattr(kafka, "producer", producer)
    producers = PartitionProducers(CommonSettings(), id_prefix="router")
    partition = TopicPartition("requests", 0)
    async with producers.lock:
        with pytest.raises(ConnectionError):
            await producers.for_partition(partition)
        assert (await producers.for_partition(partition)).id == "router-requests-0"
    assert len(attempts) == 2
