"""Builds the router: a small health API whose lifespan runs the processor and the timers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sosa.contracts import topics
from sosa.decisions.config import RulesConfig
from sosa.infra import collector, db, kafka, loop_lag, problems, startup, tracing
from sosa.infra.auth import Authenticator, NoKeys
from sosa.infra.body_limit import BodyLimit
from sosa.infra.clock import AdjustableClock, Clock, SystemClock
from sosa.infra.consumer_lag import watch_lag
from sosa.infra.health import health_routes
from sosa.infra.metrics import metrics_routes
from sosa.infra.workers import Workers
from sosa.router import deadline_gauges
from sosa.router.clock_control import clock_control
from sosa.router.handlers import Handlers
from sosa.router.linger import Linger
from sosa.router.outcome_outputs import OutcomeWriter
from sosa.router.processor import Processor
from sosa.router.producers import PartitionProducers
from sosa.router.settings import RouterSettings
from sosa.router.timers import TimerWorker


def create_app(settings: RouterSettings, *, clock: Clock | None = None) -> FastAPI:
    adjustable = AdjustableClock() if settings.router_clock_control else None
    clock = clock or adjustable or SystemClock()
    engine = db.create_engine(settings.router_database_url, sqlite_write_first=True)
    sessions = db.sessionmaker(engine)
    config = RulesConfig.load(
        extra_closures=settings.extra_closures,
        determination_party=settings.determination_party,
        authorization_party=settings.authorization_party,
    )
    handlers = Handlers(
        config=config,
        writer=OutcomeWriter(config=config, source=settings.router_source),
        clock=clock,
    )
    workers = Workers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producers = PartitionProducers(settings, id_prefix=settings.router_transactional_id)
        consumer = kafka.consumer(
            settings,
            group_id=settings.router_group,
            topics=[],
            client_id="sosa-router",
        )
        tick_producer = kafka.producer(settings, client_id="sosa-router-timers")
        await startup.connect(
            "router",
            settings,
            engine,
            migrations="sosa.router:migrations",
            clients=[tick_producer, consumer],
        )
        # The holidays a clock counts with, loaded before the first command (a clock may end
        # next year). Then everything alive (modules, validators, the rules' data, the clients)
        # lives as long as the process: out of the collector's sight, a full collection no
        # longer walks it, which cost a catch-up about a quarter of its CPU
        # (docs/performance.md).
        this_year = clock.now().year
        config.calendar.prepare(range(this_year, this_year + 2))
        collector.settle()
        consumer.subscribe([settings.topic(topics.REQUESTS)], listener=producers)
        processor = Processor(
            consumer=consumer,
            producers=producers,
            sessions=sessions,
            handler=handlers,
            settings=settings,
            group_id=settings.router_group,
            clock=clock,
            linger=Linger(
                wait_s=settings.router_linger_ms / 1000, below=settings.router_linger_below
            ),
        )
        timer_worker = TimerWorker(
            sessions,
            tick_producer,
            settings,
            clock,
            source=settings.router_source,
            interval_s=settings.router_timer_interval_s,
        )
        app.state.workers = workers
        app.state.kafka = tick_producer
        workers.start("processor", processor.run())
        workers.start("timers", timer_worker.run())
        workers.start("consumer-lag", watch_lag({settings.router_group: consumer}))
        workers.start("deadline-gauges", deadline_gauges.run(sessions, clock, config.postures))
        workers.start("loop-lag", loop_lag.watch("router"))
        try:
            yield
        finally:
            await workers.stop()
            await consumer.stop()
            await producers.stop_all()
            await tick_producer.stop()
            await engine.dispose()

    async def database_ready() -> bool:
        await db.check_reachable(engine, timeout_s=2)
        return True

    async def kafka_ready() -> bool:
        return await kafka.is_reachable(app.state.kafka)

    app = FastAPI(
        title="sosa router",
        version="1.0.0",
        lifespan=lifespan,
        telemetry=tracing.telemetry(settings),
    )
    app.include_router(health_routes({"database": database_ready, "kafka": kafka_ready}))
    app.include_router(metrics_routes())
    if adjustable is not None:
        problems.install(app)
        app.state.authenticator = Authenticator(settings, NoKeys(), service="router")
        app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
        app.include_router(clock_control(adjustable))
    return app
