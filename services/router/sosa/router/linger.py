"""Gathering a larger batch in a steady stream: after a poll that brought only a few commands,
go on taking what arrives for a few milliseconds, into the same batches.

Every partition batch pays a fixed cost whatever its size: one database transaction (its
statements are a constant, `BatchState`) and one Kafka transaction (AddPartitionsToTxn,
Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn). A router that keeps up with a steady stream
polls often and gets a handful of commands each time, so that fixed cost dominates
(docs/performance.md). Lingering is bounded twice: it stops once `below` records are gathered
(a backlog is never held up: its first poll brings that many), and after `wait_s` at most,
which a command's latency pays once. What is taken afterwards follows what the first poll
returned, in offset order, so each partition's batch stays contiguous.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from sosa.infra.consumer_runner import Batches, poll_once


@dataclass(frozen=True, slots=True)
class Linger:
    """The runner's poll (`ConsumerRunner(poll=...)`): one poll, and after a small one, more
    polls for up to `wait_s` in all, until `below` records are gathered (no more than
    `max_records`). One wait would not do: aiokafka fetches a partition again only once what it
    fetched before has been taken, so each poll takes what arrived and lets the next come."""

    wait_s: float
    below: int

    async def poll(self, consumer: AIOKafkaConsumer, max_records: int) -> Batches:
        batches = await poll_once(consumer, max_records)
        count = sum(len(records) for records in batches.values())
        enough = min(self.below, max_records)
        if self.wait_s <= 0 or count == 0:
            return batches
        loop = asyncio.get_running_loop()
        until = loop.time() + self.wait_s
        while count < enough and (left := until - loop.time()) > 0:
            more: Batches = await consumer.getmany(
                timeout_ms=max(1, round(left * 1000)), max_records=max_records - count
            )
            for partition, records in more.items():
                batches[partition] = [*batches.get(partition, []), *records]
                count += len(records)
        return batches
