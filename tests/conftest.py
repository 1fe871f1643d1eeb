"""Fixtures shared by every test layer: where the broker and database of `make test` listen, and
the clean-up of the topics the tests created."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator

import pytest

from tests.e2e.stack import PREFIXES_USED, delete_topics_of


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


@pytest.fixture(scope="session", autouse=True)
async def delete_test_topics(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After the session, delete the topics of every prefix the tests handed out. A failure is
    reported, not raised: the tests themselves have passed or failed by then."""
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")  # a name; nothing connects yet
    yield
    try:  # no prefix handed out (unit tests only): nothing connects
        await delete_topics_of(bootstrap, PREFIXES_USED)
    except Exception as exc:
        print(f"\n[tests] could not delete the test topics: {exc!r}", file=sys.stderr)  # noqa: T201
