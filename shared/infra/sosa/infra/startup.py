"""What every service does before serving: reach the database and Kafka, migrate, make topics."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.contracts import topics
from sosa.infra import db, kafka
from sosa.infra.migrations import upgrade_to_head
from sosa.infra.settings import CommonSettings

log = logging.getLogger(__name__)


async def connect(
    service: str,
    settings: CommonSettings,
    engine: AsyncEngine,
    *,
    migrations: str,
    clients: Sequence[AIOKafkaProducer | AIOKafkaConsumer],
) -> None:
    """Prepare a service to run; when a dependency does not answer, say which and raise."""
    try:
        await db.check_reachable(engine, timeout_s=settings.startup_timeout_s)
        await upgrade_to_head(engine, migrations)
        await kafka.ensure_topics(
            settings, topics.ALL, compacted=topics.COMPACTED, kept_forever=topics.KEPT_FOREVER
        )
        for client in clients:
            await kafka.start_checked(client, settings)
    except ConnectionError as exc:
        log.critical("%s cannot start: %s", service, exc)
        for client in clients:
            await kafka.close_quietly(client)
        await engine.dispose()
        raise
