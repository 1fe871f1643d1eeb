"""Anchor c: `python -m bench.anchors.raw_poster ...`. The notifier's HTTP work with none of its
bookkeeping: post the bodies in `--bodies` (a JSON list of the webhook bodies the notifier
posted) to the same receiver, each signed with Standard Webhooks (one signer for the secret, as
the notifier keeps one) under a webhook-id of its own, from one httpx client with `--concurrency`
keep-alive connections (the notifier's attempts in flight per endpoint). Prints one JSON line:
posted, statuses, the seconds from the first send to the last answer, the CPU seconds spent in
between and the peak resident memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook


async def post_all(args: argparse.Namespace, bodies: list[str]) -> dict[str, object]:
    signer = Webhook(args.secret)
    statuses: dict[str, int] = {}
    todo = iter(enumerate(bodies))
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )

    async def sender(client: httpx.AsyncClient) -> None:
        for n, body in todo:  # one iterator shared by every sender: each body is sent once
            message_id = f"{args.id_prefix}{n}"
            sent_at = datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": signer.sign(message_id, sent_at, body),
            }
            try:
                response = await client.post(args.url, content=body, headers=headers)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            statuses[status] = statuses.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=15, limits=limits) as client:
        started, cpu_started = time.monotonic(), time.process_time()
        await asyncio.gather(*(sender(client) for _ in range(args.concurrency)))
        seconds, cpu_s = time.monotonic() - started, time.process_time() - cpu_started
    return {
        "posted": len(bodies),
        "statuses": statuses,
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu_s, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.anchors.raw_poster")
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--bodies", required=True, help="a JSON list of bodies to post")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--id-prefix", default="anchor-")
    args = parser.parse_args()
    bodies: list[str] = json.loads(Path(args.bodies).read_text())
    print(json.dumps(asyncio.run(post_all(args, bodies))), flush=True)


if __name__ == "__main__":
    main()
