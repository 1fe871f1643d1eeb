"""Fixtures shared by every test layer: where the broker and database of `make test` listen."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Bootstrap servers of the real Kafka broker that `make test` started (scripts/kafka.sh)."""
    return os.environ.get("SOSA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """Superuser URL of the real PostgreSQL that `make test` started (scripts/postgres.sh)."""
    return os.environ.get(
        "SOSA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:55432/postgres"
    )
