"""Gathering a larger batch in a steady stream: after a poll that brought only a few commands,
wait a few milliseconds and take what arrived meanwhile into the same batches.

Every partition batch pays a fixed cost whatever its size: one database transaction (its
statements are a constant, `BatchState`) and one Kafka transaction (AddPartitionsToTxn,
Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn). A router that keeps up with a steady stream
polls often and gets a handful of commands each time, so that fixed cost dominates
(docs/performance.md). Lingering is bounded twice: only after a poll of fewer than `below`
records (a backlog is never held up), and for `wait_s` at most, which a command's latency
pays once. What is taken afterwards is only what aiokafka has already fetched, in offset order
after what the first poll returned, so each partition's batch stays contiguous.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from sosa.infra.consumer_runner import Batches, poll_once


@dataclass(frozen=True, slots=True)
class Linger:
    """The runner's poll (`ConsumerRunner(poll=...)`): one poll, and after a small one, a wait
    of `wait_s` and what arrived meanwhile (no more than `max_records` in all)."""

    wait_s: float
    below: int

    async def poll(self, consumer: AIOKafkaConsumer, max_records: int) -> Batches:
        batches = await poll_once(consumer, max_records)
        count = sum(len(records) for records in batches.values())
        if self.wait_s <= 0 or count == 0 or count >= min(self.below, max_records):
            return batches
        await asyncio.sleep(self.wait_s)
        more: Batches = await consumer.getmany(timeout_ms=0, max_records=max_records - count)
        for partition, records in more.items():
            batches[partition] = [*batches.get(partition, []), *records]
        return batches
