"""The fault suite's own Kafka broker, three-broker cluster and PostgreSQL.

Other engineers use the broker on 19092/19093 and PostgreSQL on 55432 while this suite kills,
stops and restarts infrastructure, so every command here is aimed at the fault instances
(`scripts/test-faults.sh` starts them; the ports can be moved with the `SOSA_FAULTS_*` variables)
and refuses the shared ports outright.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_PORTS = frozenset({19092, 19093, 55432})
"""The development broker and PostgreSQL that others use: never stopped by this suite."""


def default_pg_dir() -> Path:
    """Where scripts/test-faults.sh keeps the fault PostgreSQL (the same rule as there)."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path(f"/tmp/sosa-postgres-faults-{digest}")


def _not_shared(what: str, port: int) -> int:
    if port in SHARED_PORTS:
        raise RuntimeError(f"{what} {port} is a shared port; the fault suite never touches it")
    return port


def _port(name: str, default: int) -> int:
    return _not_shared(name, int(os.environ.get(name, str(default))))


@dataclass(frozen=True)
class FaultInfra:
    kafka_port: int
    pg_port: int
    pg_dir: str
    cluster_base: int
    cluster_step: int

    @classmethod
    def from_env(cls) -> FaultInfra:
        step = int(os.environ.get("SOSA_FAULTS_CLUSTER_PORT_STEP", "100"))
        base = _port("SOSA_FAULTS_CLUSTER_PORT_BASE", 19392)
        for node in range(3):
            _not_shared("cluster node port", base + node * step)
            _not_shared("cluster controller port", base + node * step + 1)
        return cls(
            kafka_port=_port("SOSA_FAULTS_KAFKA_PORT", 19292),
            pg_port=_port("SOSA_FAULTS_PG_PORT", 55532),
            pg_dir=os.environ.get("SOSA_FAULTS_PG_DIR", str(default_pg_dir())),
            cluster_base=base,
            cluster_step=step,
        )

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def cluster_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.cluster_base + i * self.cluster_step}" for i in range(3))

    def cluster_node_of(self, port: int) -> int:
        """The node number (1-3) of the cluster broker listening on `port`."""
        return (port - self.cluster_base) // self.cluster_step + 1

    @property
    def postgres_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/postgres"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOSA_")}
        env.update(
            SOSA_KAFKA_PORT=str(self.kafka_port),
            SOSA_KAFKA_CLUSTER_PORT_BASE=str(self.cluster_base),
            SOSA_KAFKA_CLUSTER_PORT_STEP=str(self.cluster_step),
            # the fault broker's and cluster's one credentials file (scripts/test-faults.sh)
            SOSA_KAFKA_CREDENTIALS_FILE=os.environ["SOSA_TEST_KAFKA_CREDENTIALS"],
            SOSA_KAFKA_REFORMAT_UNAUTHENTICATED="1",
            SOSA_PG_PORT=str(self.pg_port),
            SOSA_PG_DIR=self.pg_dir,
        )
        return env

    def kafka(self, *command: str, timeout_s: float = 180) -> str:
        """`scripts/kafka.sh COMMAND` for the fault broker or the fault cluster."""
        return self._run("kafka.sh", command, timeout_s)

    def postgres(self, *command: str, timeout_s: float = 120) -> str:
        """`scripts/postgres.sh COMMAND` for the fault PostgreSQL."""
        return self._run("postgres.sh", command, timeout_s)

    def _run(self, script: str, command: tuple[str, ...], timeout_s: float) -> str:
        done = subprocess.run(
            [str(ROOT / "scripts" / script), *command],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{script} {' '.join(command)} exited {done.returncode}:\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done.stdout
