"""Anchor b: `python -m bench.anchors.passthrough ...`. The router's Kafka work with none of its
decisions: read the commands topic with a `read_committed` consumer of its own group, and for
each partition's batch (up to 500 records, as the router reads) publish `--outputs` records per
record read to a sink topic and commit the batch's offsets in the same Kafka transaction, as the
router does. Prints one JSON line: records, and the seconds from the first record read to the
commit of the transaction that holds the last one, the CPU seconds it spent in between and its
peak resident memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.kafka_principals import as_super_user


async def passthrough(args: argparse.Namespace) -> dict[str, float | int]:
    consumer = AIOKafkaConsumer(
        args.source,
        **as_super_user(args.bootstrap),
        group_id=args.group,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        **as_super_user(args.bootstrap),
        transactional_id=args.group,
        enable_idempotence=True,
        acks="all",
    )
    await consumer.start()
    await producer.start()
    read, first, last, cpu_first, cpu_last = 0, 0.0, 0.0, 0.0, 0.0
    try:
        while read < args.count:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                if not first:
                    first, cpu_first = time.monotonic(), time.process_time()
                await producer.begin_transaction()
                for record in records:
                    for _ in range(args.outputs):
                        await producer.send(args.sink, record.value, key=record.key)
                await producer.send_offsets_to_transaction(
                    {partition: records[-1].offset + 1}, args.group
                )
                await producer.commit_transaction()
                read += len(records)
                last, cpu_last = time.monotonic(), time.process_time()
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "records": read,
        "seconds": round(last - first, 3),
        "cpu_s": round(cpu_last - cpu_first, 3),
        "peak_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.anchors.passthrough")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True, help="stop after this many records")
    parser.add_argument("--outputs", type=int, default=2, help="records published per record")
    print(json.dumps(asyncio.run(passthrough(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
