"""Builds intake's FastAPI application; its lifespan connects, migrates and starts the workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sosa.contracts import topics
from sosa.decisions.config import RulesConfig
from sosa.infra import api_docs, db, kafka, loop_lag, problems, startup, tracing
from sosa.infra.api_descriptions import complete
from sosa.infra.auth import Authenticator, KeysInTables
from sosa.infra.body_limit import BodyLimit
from sosa.infra.clock import Clock, SystemClock
from sosa.infra.consumer_lag import watch_lag
from sosa.infra.content_security import ContentSecurityPolicy
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.group_commit import GroupCommit
from sosa.infra.health import health_routes
from sosa.infra.metrics import metrics_routes
from sosa.infra.outbox import OutboxRelay
from sosa.infra.problem_docs import as_problem_json
from sosa.infra.workers import Workers
from sosa.intake import tables
from sosa.intake.api import (
    analytics,
    answer_options,
    commands,
    dashboard,
    dead_letters,
    parties,
    posture,
    request_list,
    requests,
    suppliers,
    workspace,
)
from sosa.intake.api.descriptions import GLOSSARY
from sosa.intake.commands import idempotency
from sosa.intake.commands.writes import store_all
from sosa.intake.insights.pipeline_watch import PipelineWatch
from sosa.intake.parties.kept_facts import KeptFacts
from sosa.intake.runtime import Runtime
from sosa.intake.settings import IntakeSettings
from sosa.intake.views import read_model

log = logging.getLogger(__name__)
RELAY_LOCK_ID = 0x505A_0001


def create_app(settings: IntakeSettings, *, clock: Clock | None = None) -> FastAPI:
    # a connection back in the pool a moment ago is not pinged again: one round trip less per
    # transaction (group commit, read-model batch, relay round; #25)
    engine = db.create_engine(
        settings.intake_database_url, ping_after_idle_s=settings.intake_ping_after_idle_s
    )
    sessions = db.sessionmaker(engine)
    workers = Workers()
    rules = RulesConfig.load(extra_closures=settings.extra_closures)
    # `holidays` imports its country modules on first use (about a second of CPU, compiling
    # them when no bytecode was cached): paid here, before intake serves, rather than by the
    # first dashboard, dry run or submit on the serving loop (#24, docs/performance.md).
    this_year = (clock or SystemClock()).now().year
    rules.calendar.prepare(range(this_year - 1, this_year + 2))
    credentials = KeysInTables(
        sessions, keys=tables.api_keys, parties=tables.parties, cache_s=settings.auth_cache_s
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = kafka.producer(settings, client_id="sosa-intake-relay")
        consumer = kafka.consumer(
            settings,
            group_id=settings.intake_read_model_group,
            topics=[topics.OUTCOMES],
            client_id="sosa-intake",
        )
        relay = OutboxRelay(sessions, tables.outbox, producer, settings, lock_id=RELAY_LOCK_ID)
        await startup.connect(
            "intake",
            settings,
            engine,
            migrations="sosa.intake:migrations",
            clients=[producer, consumer],
        )
        group_commit = GroupCommit(
            sessions,
            store_all,
            service="intake",
            max_batch=settings.intake_group_commit_max_batch,
            max_wait_s=settings.intake_group_commit_max_wait_s,
            in_flight=settings.intake_group_commit_in_flight,
            on_commit=relay.wake,
            retry_lost_connection=True,
        )
        the_clock = clock or SystemClock()
        pipeline = PipelineWatch(settings, the_clock)
        app.state.runtime = Runtime(
            settings=settings,
            sessions=sessions,
            relay=relay,
            clock=the_clock,
            rules=rules,
            group_commit=group_commit,
            pipeline=pipeline,
            credentials=credentials,
            facts=KeptFacts(sessions, keep_s=settings.auth_cache_s),
        )
        app.state.workers = workers
        workers.start("group-commit", group_commit.run())
        workers.start("outbox-relay", relay.run())
        dead_letters = DeadLetters(
            relay, topic=settings.topic(topics.dead_letter(topics.OUTCOMES)), consumer="intake"
        )
        workers.start("read-model", read_model.runner(consumer, sessions, dead_letters).run())
        workers.start("consumer-lag", watch_lag({settings.intake_read_model_group: consumer}))
        workers.start("pipeline-watch", pipeline.run())
        workers.start("loop-lag", loop_lag.watch("intake"))
        try:
            yield
        finally:
            await workers.stop()
            await consumer.stop()
            await relay.producer.stop()
            await engine.dispose()

    async def database_ready() -> bool:
        await db.check_reachable(engine, timeout_s=2)
        return True

    async def kafka_ready() -> bool:
        # the relay's producer in use now: a failed send renews it
        return await kafka.is_reachable(app.state.runtime.relay.producer)

    app = FastAPI(
        title="sosa intake",
        version="1.0.0",
        summary="Priority-support requests under the US Security of Supply Arrangements",
        lifespan=lifespan,
        docs_url=None,  # served from installed files: sosa.infra.api_docs
        redoc_url=None,
        telemetry=tracing.telemetry(settings),
    )
    problems.install(app)
    api_docs.install(app)
    idempotency.install(app)
    app.state.authenticator = Authenticator(settings, credentials, service="intake")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ContentSecurityPolicy,
        docs_paths=api_docs.PAGES,
    )

    problems.install_database_unavailable(app, "The database is unavailable; nothing was stored.")

    apis = (
        requests,
        request_list,
        commands,
        answer_options,
        suppliers,
        parties,
        dashboard,
        dead_letters,
        workspace,
        posture,
        analytics,
    )
    for api in apis:
        app.include_router(api.router)
    app.include_router(health_routes({"database": database_ready, "kafka": kafka_ready}))
    app.include_router(metrics_routes(include_in_schema=False))
    plain_openapi = app.openapi
    app.openapi = lambda: as_problem_json(complete(plain_openapi(), GLOSSARY))  # type: ignore[method-assign]
    return app
