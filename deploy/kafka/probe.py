"""Readiness probe used by scripts/kafka.sh: does a real Kafka broker serve metadata at BOOTSTRAP?

    python deploy/kafka/probe.py BOOTSTRAP [--brokers N] [--timeout SECONDS]

Retries until the deadline: connect with aiokafka's admin client, fetch cluster metadata (a
MetadataRequest, which only a running, registered broker answers), and check that at least N
brokers are registered and every address in BOOTSTRAP is an advertised broker. Exit 0 and print
`cluster_id=... brokers=...` on success; exit 1 with the last error on timeout, 5 when the broker
refuses the credentials.

It authenticates as SOSA_KAFKA_USERNAME / SOSA_KAFKA_PASSWORD (scripts/kafka.sh passes the
super user's) over SASL_PLAINTEXT with SCRAM-SHA-512, as every listener of scripts/kafka.sh's
brokers requires; SOSA_KAFKA_SECURITY_PROTOCOL=PLAINTEXT probes a broker without SASL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import AuthenticationFailedError

AUTHENTICATION_REFUSED = 5


def _security() -> dict[str, str]:
    protocol = os.environ.get("SOSA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    if protocol == "PLAINTEXT":
        return {"security_protocol": protocol}
    return {
        "security_protocol": protocol,
        "sasl_mechanism": os.environ.get("SOSA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        "sasl_plain_username": os.environ.get("SOSA_KAFKA_USERNAME", ""),
        "sasl_plain_password": os.environ.get("SOSA_KAFKA_PASSWORD", ""),
    }


async def _describe(bootstrap: str) -> tuple[str, list[str]]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=5000,
        client_id="sosa-kafka-probe",
        **_security(),
    )
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    brokers = sorted(f"{b['host']}:{b['port']}" for b in cluster["brokers"])
    return str(cluster["cluster_id"]), brokers


async def _probe(bootstrap: str, brokers_wanted: int, wait_s: float) -> int:
    deadline = time.monotonic() + wait_s
    wanted = set(bootstrap.split(","))
    last = "no attempt"
    while True:
        try:
            cluster_id, brokers = await asyncio.wait_for(
                _describe(bootstrap), max(1.0, deadline - time.monotonic())
            )
            if len(brokers) >= brokers_wanted and wanted <= set(brokers):
                sys.stdout.write(f"cluster_id={cluster_id} brokers={','.join(brokers)}\n")
                return 0
            last = f"metadata lists brokers {brokers}, want {brokers_wanted} incl. {sorted(wanted)}"
        except AuthenticationFailedError as exc:  # a broker answers, but not to these credentials
            sys.stderr.write(f"probe: {bootstrap} refuses the credentials: {exc}\n")
            return AUTHENTICATION_REFUSED
        except Exception as exc:  # any failure just means "not ready yet"
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            sys.stderr.write(
                f"probe: no Kafka metadata from {bootstrap} after {wait_s:.0f}s: {last}\n"
            )
            return 1
        await asyncio.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # aiokafka logs every refused connection
    return asyncio.run(_probe(args.bootstrap, args.brokers, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
