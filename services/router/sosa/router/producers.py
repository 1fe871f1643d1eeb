"""One transactional producer per input partition, following the consumer group's assignment.

The transactional id is derived from the partition, so whichever router owns a partition uses
the same id: when ownership moves, the new owner's `init_transactions` fences the old owner, and
a zombie router can no longer commit outputs or offsets for it (aiokafka's transactional offset
commit predates KIP-447, so fencing rests on these stable ids; docs/guarantees.md, G4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from sosa.infra import kafka
from sosa.infra.settings import CommonSettings

log = logging.getLogger(__name__)


class PartitionProducers(ConsumerRebalanceListener):  # type: ignore[misc]
    """Starts a partition's producer when it is assigned and stops it when it is revoked."""

    def __init__(self, settings: CommonSettings, *, id_prefix: str) -> None:
        self._settings = settings
        self._id_prefix = id_prefix
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self._unchecked: set[TopicPartition] = set()
        """Partitions whose producer has not yet had a transaction: the consumer's position in
        them was read before this producer fenced the previous owner (`position_checked`)."""
        self.lock = asyncio.Lock()
        """Held while a batch is processed, so a revocation waits for it to finish."""

    def transactional_id(self, partition: TopicPartition) -> str:
        return f"{self._id_prefix}-{partition.topic}-{partition.partition}"

    async def for_partition(self, partition: TopicPartition) -> AIOKafkaProducer:
        """The partition's producer, started now if it has not been yet: aiokafka may hand out
        a new assignment's records before `on_partitions_assigned` has run, and only logs that
        callback's failure. Call with `lock` held."""
        producer = self._producers.get(partition)
        if producer is None:
            producer = kafka.producer(
                self._settings,
                client_id=f"sosa-router-p{partition.partition}",
                transactional_id=self.transactional_id(partition),
            )
            try:
                await producer.start()
            except BaseException:
                await kafka.close_quietly(producer)
                raise
            self._producers[partition] = producer
            self._unchecked.add(partition)
        return producer

    def position_unchecked(self, partition: TopicPartition) -> bool:
        """Whether the partition's producer has yet to check the consumer's position. A new
        owner reads its position (the group's committed offset) when the partition is assigned,
        which can be before the previous owner's last transaction, already being committed,
        has written its offsets; only once this producer holds the transactional id (its first
        `begin_transaction`) is that transaction settled and the committed offset final. Kafka's
        answer is KIP-447's stable offset fetch, which aiokafka does not send."""
        return partition in self._unchecked

    def position_checked(self, partition: TopicPartition) -> None:
        self._unchecked.discard(partition)

    async def renew(self, partition: TopicPartition) -> None:
        """Replace the partition's producer (call with `lock` held) and wait until the new one
        holds the transactional id: the broker has then fenced the old one and settled its
        open transaction, committed or aborted."""
        old = self._producers.pop(partition, None)
        if old is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):  # its sender may be dead or stuck
                    await kafka.close_quietly(old)
        producer = await self.for_partition(partition)
        await producer.begin_transaction()  # waits for InitProducerId: the fencing
        await producer.abort_transaction()
        self._unchecked.discard(partition)  # the caller reads from the committed offset next

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        async with self.lock:  # a batch of a new partition waits for its producer
            for partition in assigned:
                await self.for_partition(partition)
        log.info("partitions assigned", extra={"partitions": sorted(str(p) for p in assigned)})

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        async with self.lock:
            for partition in revoked:
                producer = self._producers.pop(partition, None)
                self._unchecked.discard(partition)
                if producer is not None:
                    await producer.stop()

    async def stop_all(self) -> None:
        await self.on_partitions_revoked(list(self._producers))
