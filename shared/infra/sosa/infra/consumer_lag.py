"""`sosa_consumer_lag`: how far each consumer is behind each partition it reads.

Every few seconds, for each partition a consumer has been assigned: the partition's end offset
(the last stable offset, as the consumers read `read_committed`) minus the consumer's position
(the next record it will hand to the service). A partition no longer assigned loses its series.
Start it as one of a service's workers; it never stops the service, whatever the broker does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Gauge

log = logging.getLogger(__name__)

LAG = Gauge(
    "sosa_consumer_lag",
    "Records on a partition not yet handed to the consumer group (end offset minus position)",
    ["group", "topic", "partition"],
)


async def watch_lag(consumers: Mapping[str, AIOKafkaConsumer], *, interval_s: float = 5.0) -> None:
    """Update the lag of each consumer (keyed by its group id) every `interval_s`."""
    shown: dict[str, set[TopicPartition]] = {group: set() for group in consumers}
    while True:
        for group, consumer in consumers.items():
            try:
                shown[group] = await update(group, consumer, shown[group])
            except Exception as exc:  # a broker away, a rebalance: try again next round
                log.debug("consumer lag of %s not measured: %r", group, exc)
        await asyncio.sleep(interval_s)


async def update(
    group: str, consumer: AIOKafkaConsumer, before: set[TopicPartition]
) -> set[TopicPartition]:
    """Set the gauge for the partitions `consumer` holds now; drop those it held `before` only."""
    assigned = set(consumer.assignment())
    for gone in before - assigned:
        LAG.remove(group, gone.topic, str(gone.partition))
    if not assigned:
        return set()
    ends = await consumer.end_offsets(list(assigned))
    measured: set[TopicPartition] = set()
    for partition, end in ends.items():
        try:
            position = await asyncio.wait_for(consumer.position(partition), timeout=1)
        except Exception as exc:  # no position yet, or revoked meanwhile
            log.debug("no position on %s for %s: %r", partition, group, exc)
            continue
        LAG.labels(group, partition.topic, str(partition.partition)).set(max(end - position, 0))
        measured.add(partition)
    for stale in (before & assigned) - measured:
        LAG.remove(group, stale.topic, str(stale.partition))
    return measured
