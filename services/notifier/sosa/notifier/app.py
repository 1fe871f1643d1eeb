"""Builds the notifier's FastAPI app; its lifespan starts the consumer and the dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from sosa.contracts import topics
from sosa.infra import db, kafka, problems, startup
from sosa.infra.clock import Clock, SystemClock
from sosa.infra.health import health_routes
from sosa.infra.workers import Workers
from sosa.notifier import deliveries, routes
from sosa.notifier.dispatcher import Dispatcher
from sosa.notifier.runtime import Runtime
from sosa.notifier.settings import NotifierSettings


def create_app(settings: NotifierSettings, *, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    engine = db.create_engine(settings.notifier_database_url)
    sessions = db.sessionmaker(engine)
    workers = Workers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = kafka.consumer(
            settings,
            group_id=settings.notifier_group,
            topics=[topics.OUTCOMES],
            client_id="sosa-notifier",
        )
        await startup.connect(
            "notifier", settings, engine, migrations="sosa.notifier:migrations", clients=[consumer]
        )
        async with httpx.AsyncClient(follow_redirects=False) as client:
            dispatcher = Dispatcher(sessions, client, settings, clock)
            app.state.runtime = Runtime(settings=settings, sessions=sessions, clock=clock)
            app.state.workers = workers
            app.state.kafka = consumer
            workers.start(
                "outcomes", deliveries.consume(consumer, sessions, clock, dispatcher.wake)
            )
            workers.start("dispatcher", dispatcher.run())
            try:
                yield
            finally:
                await workers.stop()
                await consumer.stop()
                await engine.dispose()

    async def database_ready() -> bool:
        await db.check_reachable(engine, timeout_s=2)
        return True

    async def kafka_ready() -> bool:
        return await kafka.is_reachable(app.state.kafka)

    app = FastAPI(title="sosa notifier", version="1.0.0", lifespan=lifespan)
    problems.install(app)
    app.include_router(routes.router)
    app.include_router(health_routes({"database": database_ready, "kafka": kafka_ready}))
    return app
