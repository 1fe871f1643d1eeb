"""Builds the router: a small health API whose lifespan runs the effectively-once processor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sosa.contracts import topics
from sosa.decisions import translate
from sosa.infra import db, kafka, startup
from sosa.infra.clock import Clock, SystemClock
from sosa.infra.health import health_routes
from sosa.infra.workers import Workers
from sosa.router.handlers import Handlers
from sosa.router.processor import Processor
from sosa.router.settings import RouterSettings


def create_app(settings: RouterSettings, *, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    engine = db.create_engine(settings.router_database_url)
    sessions = db.sessionmaker(engine)
    handlers = Handlers(
        rules=translate.RulesConfig.load(extra_closures=settings.extra_closures),
        source=settings.router_source,
        clock=clock,
    )
    workers = Workers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = kafka.consumer(
            settings,
            group_id=settings.router_group,
            topics=[topics.REQUESTS],
            client_id="sosa-router",
        )
        producer = kafka.producer(
            settings, client_id="sosa-router", transactional_id=settings.router_transactional_id
        )
        processor = Processor(
            consumer=consumer,
            producer=producer,
            sessions=sessions,
            handler=handlers,
            settings=settings,
            group_id=settings.router_group,
            clock=clock,
        )
        await startup.connect(
            "router",
            settings,
            engine,
            migrations="sosa.router:migrations",
            clients=[producer, consumer],
        )
        app.state.workers = workers
        app.state.processor = processor
        app.state.kafka = producer
        workers.start("processor", processor.run())
        try:
            yield
        finally:
            await workers.stop()
            await consumer.stop()
            await producer.stop()
            await engine.dispose()

    async def database_ready() -> bool:
        await db.check_reachable(engine, timeout_s=2)
        return True

    async def kafka_ready() -> bool:
        return await kafka.is_reachable(app.state.kafka)

    app = FastAPI(title="sosa router", version="1.0.0", lifespan=lifespan)
    app.include_router(health_routes({"database": database_ready, "kafka": kafka_ready}))
    return app
