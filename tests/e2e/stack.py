"""Starts intake, router and notifier as separate processes against the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.fernet import Fernet
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.e2e import registry
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY, auth_env
from tests.kafka_principals import as_super_user, provision_stack, service_env

SERVICES = ("intake", "router", "notifier")


@asynccontextmanager
async def fresh_databases(
    admin_url: str, *, name_prefix: str = "sosa"
) -> AsyncIterator[dict[str, str]]:
    """One new database per service, dropped afterwards (no pool: a fault scenario may restart
    the server under it)."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    suffix = uuid.uuid4().hex[:10]
    names = {service: f"{name_prefix}_{service}_{suffix}" for service in SERVICES}
    async with admin.connect() as connection:
        for name in names.values():
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(admin_url)
    try:
        yield {
            s: base.set(database=n).render_as_string(hide_password=False) for s, n in names.items()
        }
    finally:
        async with admin.connect() as connection:
            for name in names.values():
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


PORTS_FOR_SERVERS = range(20000, 29000)
"""Where the tests' servers listen: below Linux's ephemeral range (32768-60999 by default), from
which the kernel picks the local port of every outgoing connection. A server port taken from
that range can be taken meanwhile by any connection (a consumer's, a pool's, a client's) while
its process restarts, which then cannot bind it; and under the project's fixed ports (the
3-node cluster's 29092)."""

_HANDED_OUT: set[int] = set()
"""Every port `free_port` gave in this process: a port is free until its server binds it, so
two calls before the first server binds would otherwise get the same one (a second router
then answers the first one's readiness probe and never binds)."""


def free_port() -> int:
    """A loopback port nothing listens on, never handed out before in this test session."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.choice(PORTS_FOR_SERVERS)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port in {PORTS_FOR_SERVERS}")


@dataclass
class Stack:
    """The three services of one test run, each with its own database and port."""

    env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    provisioned: bool = False
    """Whether the topics and ACLs of the stack's prefix exist: made before the first start."""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, service: str, *, name: str | None = None, **env: str) -> None:
        """Start `service` as process `name` (default: the service itself); a second instance
        of a service gets a port of its own and any extra environment given. Each service runs
        as its own Kafka principal; the first start provisions the stack's topics and ACLs."""
        if not self.provisioned:
            provision_stack(self.env)
            self.provisioned = True
        name = name or service
        if name not in self.ports:
            self.ports[name] = free_port()
        port = {f"SOSA_{service.upper()}_PORT": str(self.ports[name])}
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"sosa.{service}"],
            env={**self.env, **service_env(service), **port, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, service: str, sig: int = signal.SIGTERM) -> int:
        process = self.processes.pop(service)
        process.send_signal(sig)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    async def wait_ready(self, service: str, timeout_s: float = 60) -> None:
        """Wait until `service` answers /readyz; an intake then knows the tests' parties with
        their attributes (`tests.e2e.registry`), as an operator would have registered them."""
        await self._ready(service, timeout_s)
        if service.startswith("intake") and self.env.get("SOSA_BOOTSTRAP_OPERATOR_KEY"):
            await registry.register(
                self.url(service), operator_key=self.env["SOSA_BOOTSTRAP_OPERATOR_KEY"]
            )

    async def _ready(self, service: str, timeout_s: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        async with httpx.AsyncClient() as client:
            while True:
                process = self.processes[service]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{service} exited with {process.returncode}:\n{self.log_tail(service)}"
                    )
                try:
                    if (await client.get(f"{self.url(service)}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{service} not ready:\n{self.log_tail(service)}")
                await asyncio.sleep(0.2)

    def log_tail(self, service: str, lines: int = 40) -> str:
        path = self.logs / f"{service}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )


def stack_env(
    *, kafka: str, databases: dict[str, str], ports: dict[str, int], prefix: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOSA_")}
    env.update(
        SOSA_KAFKA_BOOTSTRAP_SERVERS=kafka,
        SOSA_KAFKA_SECURITY_PROTOCOL=os.environ.get(
            "SOSA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"
        ),
        SOSA_TOPIC_PREFIX=prefix,
        SOSA_LOG_LEVEL="INFO",
        SOSA_ROUTER_TRANSACTIONAL_ID=f"{prefix}router",
        SOSA_INTAKE_READ_MODEL_GROUP=f"{prefix}intake",
        SOSA_ROUTER_GROUP=f"{prefix}router",
        SOSA_NOTIFIER_GROUP=f"{prefix}notifier",
        SOSA_NOTIFIER_PARTIES_GROUP=f"{prefix}notifier-parties",
        SOSA_RETRY_SCHEDULE_S="[0, 0.5, 1, 2]",
        SOSA_WEBHOOK_ALLOWED_NETWORKS='["127.0.0.0/8", "::1/128"]',  # receivers run on loopback
        SOSA_ROUTER_CLOCK_CONTROL="true",
        SOSA_ROUTER_TIMER_INTERVAL_S="0.2",
        # Every test client calls from 127.0.0.1 and some send wrong or revoked credentials on
        # purpose (the authorization matrix, key revocation, schemathesis): the per-address
        # throttle of failed authentications would make later calls 429. Its behaviour is
        # tested in process (tests/unit/infra/test_auth.py), with distinct client addresses.
        SOSA_AUTH_FAILURE_LIMIT="1000000",
        # webhook signing secrets are encrypted at rest with this run's key
        SOSA_WEBHOOK_SECRET_KEYS=json.dumps([Fernet.generate_key().decode()]),
    )
    env.update(auth_env())
    for service in SERVICES:
        env[f"SOSA_{service.upper()}_DATABASE_URL"] = databases[service]
        env[f"SOSA_{service.upper()}_PORT"] = str(ports[service])
    # the dashboard (served by intake) reads the notifier's stream from the browser
    env["SOSA_DASHBOARD_NOTIFIER_URL"] = f"http://127.0.0.1:{ports['notifier']}"
    env["SOSA_CORS_ALLOW_ORIGINS"] = json.dumps([f"http://127.0.0.1:{ports['intake']}"])
    return env


@contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    try:
        yield stack
    finally:
        for service in list(stack.processes):
            stack.stop(service)


PREFIXES_USED: list[str] = []
"""Every topic prefix handed out in this test session: tests/conftest.py deletes their topics at
the end, so that the development broker does not pile up thousands of partitions run after run
(which slows its every start)."""


async def delete_topics_of(bootstrap: str, prefixes: Iterable[str]) -> int:
    """Delete every topic whose name starts with one of `prefixes`; returns how many. Consumer
    groups stay: the broker expires them (offsets.retention.minutes)."""
    wanted = tuple(prefixes)
    if not wanted:
        return 0
    admin = AIOKafkaAdminClient(**as_super_user(bootstrap), request_timeout_ms=30000)
    try:
        await admin.start()
        doomed = [name for name in await admin.list_topics() if name.startswith(wanted)]
        for start in range(0, len(doomed), 200):
            await admin.delete_topics(doomed[start : start + 200])
        return len(doomed)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def unique_prefix() -> str:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    PREFIXES_USED.append(prefix)
    return prefix


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The operators' tool (`sosa ...`) run against the stack's intake with the bootstrap
    operator key, as an operator would run it."""
    env = {
        **os.environ,
        "SOSA_INTAKE_URL": stack.url("intake"),
        "SOSA_OPERATOR_API_KEY": BOOTSTRAP_OPERATOR_KEY,
    }
    sosa = str(Path(sys.executable).parent / "sosa")
    return subprocess.run([sosa, *args], capture_output=True, text=True, env=env, timeout=60)
