"""A service that cannot reach Kafka or its database says so clearly and exits non-zero."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.stack import SERVICES, free_port, stack_env, unique_prefix
from tests.kafka_principals import service_env

pytestmark = [pytest.mark.e2e, pytest.mark.db]


def run_service(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"sosa.{service}"],
        env={**env, **service_env(service)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_unreachable_kafka_is_a_clear_error_and_a_failed_exit(
    service: str, databases: dict[str, str]
) -> None:
    env = stack_env(
        kafka=f"127.0.0.1:{free_port()}",
        databases=databases,
        ports={s: free_port() for s in SERVICES},
        prefix=unique_prefix(),
    )
    env["SOSA_STARTUP_TIMEOUT_S"] = "3"
    finished = run_service(service, env)
    assert finished.returncode != 0
    assert "cannot start" in finished.stdout
    assert "Kafka at 127.0.0.1:" in finished.stdout
    assert "is unreachable" in finished.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_unreachable_database_is_a_clear_error_and_a_failed_exit(
    service: str, kafka_bootstrap: str
) -> None:
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    env = stack_env(
        kafka=kafka_bootstrap,
        databases=dict.fromkeys(SERVICES, nowhere),
        ports={s: free_port() for s in SERVICES},
        prefix=unique_prefix(),
    )
    env["SOSA_STARTUP_TIMEOUT_S"] = "3"
    finished = run_service(service, env)
    assert finished.returncode != 0
    assert "cannot start" in finished.stdout
    assert "database postgresql+asyncpg://postgres@127.0.0.1:" in finished.stdout
