"""Builds the notifier's FastAPI app; its lifespan starts the outcome consumer, the dispatcher,
the escalation watch and the relay that publishes every attempt to `sosa.deliveries.v1`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from sosa.contracts import topics
from sosa.infra import api_docs, db, kafka, loop_lag, problems, startup, tracing
from sosa.infra.api_descriptions import complete
from sosa.infra.auth import Authenticator, KeysInTables
from sosa.infra.body_limit import BodyLimit
from sosa.infra.clock import Clock, SystemClock
from sosa.infra.consumer_lag import watch_lag
from sosa.infra.content_security import ContentSecurityPolicy
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.health import health_routes
from sosa.infra.metrics import metrics_routes
from sosa.infra.outbox import OutboxRelay
from sosa.infra.problem_docs import as_problem_json
from sosa.infra.workers import Workers
from sosa.notifier import api, deliveries, escalation, party_copy, secret_box, ssrf, tables
from sosa.notifier.api.descriptions import GLOSSARY
from sosa.notifier.dispatcher import Dispatcher
from sosa.notifier.relay_pace import paced
from sosa.notifier.runtime import Runtime
from sosa.notifier.settings import NotifierSettings

RELAY_LOCK_ID = 0x505A_0003
CLAIM_PACE_S = 0.025
"""The outcome consumer's wakes of the dispatcher folded over this long: one claim transaction
takes the deliveries of several consumer batches (a steady stream's batches are small)."""
PING_AFTER_IDLE_S = 1.0
"""A pooled connection idle at least this long is pinged at checkout; PostgreSQL does not restart
in less (a restart within it fails one round of a loop, which retries it)."""


def create_app(settings: NotifierSettings, *, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    # the notifier's loops use their connections every few milliseconds under load: one that
    # was back in the pool a moment ago is not pinged again (sosa.infra.db.create_engine)
    engine = db.create_engine(settings.notifier_database_url, ping_after_idle_s=PING_AFTER_IDLE_S)
    sessions = db.sessionmaker(engine)
    box = secret_box.SecretBox(settings.webhook_secret_keys)  # a malformed key fails here
    workers = Workers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        consumer = kafka.consumer(
            settings,
            group_id=settings.notifier_group,
            topics=[topics.OUTCOMES],
            client_id="sosa-notifier",
        )
        party_consumer = kafka.consumer(
            settings,
            group_id=settings.notifier_parties_group,
            topics=[topics.PARTIES],
            client_id="sosa-notifier-parties",
        )
        producer = kafka.producer(settings, client_id="sosa-notifier-relay")
        await startup.connect(
            "notifier",
            settings,
            engine,
            migrations="sosa.notifier:migrations",
            clients=[consumer, party_consumer, producer],
        )
        # plain secrets (rows from before encryption) and ones under a retired key: sealed anew
        await secret_box.reseal(sessions, box, [tables.endpoints, tables.endpoint_secrets])
        relay = OutboxRelay(sessions, tables.outbox, producer, settings, lock_id=RELAY_LOCK_ID)
        async with ssrf.guarded_client(settings.webhook_allowed_networks) as client:
            dispatcher = Dispatcher(
                sessions, client, settings, clock, on_recorded=paced(relay.wake), box=box
            )
            app.state.runtime = Runtime(
                settings=settings,
                sessions=sessions,
                clock=clock,
                secret_box=box,
                wake_dispatcher=dispatcher.wake,
            )
            app.state.workers = workers
            app.state.kafka = consumer
            dead_letters = DeadLetters(
                relay,
                topic=settings.topic(topics.dead_letter(topics.OUTCOMES)),
                consumer="notifier",
            )
            party_dead_letters = DeadLetters(
                relay,
                topic=settings.topic(topics.dead_letter(topics.PARTIES)),
                consumer="notifier",
            )
            workers.start(
                "outcomes",
                deliveries.runner(
                    consumer,
                    sessions,
                    clock,
                    settings,
                    paced(dispatcher.wake, CLAIM_PACE_S),
                    dead_letters,
                    handoff=dispatcher,
                ).run(),
            )
            workers.start(
                "parties", party_copy.runner(party_consumer, sessions, party_dead_letters).run()
            )
            workers.start("dispatcher", dispatcher.run())
            workers.start("escalation", escalation.run(sessions, settings, clock, dispatcher.wake))
            workers.start("deliveries-relay", relay.run())
            workers.start("consumer-lag", watch_lag({settings.notifier_group: consumer}))
            workers.start("loop-lag", loop_lag.watch("notifier"))
            try:
                yield
            finally:
                await workers.stop()
                await consumer.stop()
                await party_consumer.stop()
                await relay.producer.stop()  # the one in use: a failed send renews it
                await engine.dispose()

    async def database_ready() -> bool:
        await db.check_reachable(engine, timeout_s=2)
        return True

    async def kafka_ready() -> bool:
        return await kafka.is_reachable(app.state.kafka)

    app = FastAPI(
        title="sosa notifier",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,  # served from installed files: sosa.infra.api_docs
        redoc_url=None,
        telemetry=tracing.telemetry(settings),
    )
    problems.install(app)
    api_docs.install(app)
    problems.install_database_unavailable(app, "The database is unavailable; nothing was changed.")
    app.state.authenticator = Authenticator(
        settings,
        KeysInTables(sessions, keys=tables.api_keys, parties=tables.parties),
        service="notifier",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ContentSecurityPolicy,
        docs_paths=api_docs.PAGES,
    )
    if settings.cors_allow_origins:  # intake's dashboard and workspace pages call this API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Last-Event-ID", "Content-Type"],
            max_age=600,
        )
    app.include_router(api.router)
    app.include_router(health_routes({"database": database_ready, "kafka": kafka_ready}))
    app.include_router(metrics_routes(include_in_schema=False))
    plain_openapi = app.openapi
    app.openapi = lambda: as_problem_json(complete(plain_openapi(), GLOSSARY))  # type: ignore[method-assign]
    return app
