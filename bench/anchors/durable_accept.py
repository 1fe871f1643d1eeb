"""Anchor a2: `python -m bench.anchors.durable_accept PORT DATABASE_URL BOOTSTRAP TOPIC`. The
minimal durable accept a peer would write (#25): FastAPI validates the body as
`PriorityRequestDetails` (the model intake uses), one asyncpg transaction inserts it, one
aiokafka produce with `acks=all` on the authenticated bus (the bench's SASL credentials) puts it
on `TOPIC`, and the answer is `202` after both. No authentication, no idempotency key, no
outbox, no audit chain, no read model: what intake does beyond this is what it costs.

Served by sosa.infra.serving (the same uvicorn settings as every service), with an asyncpg pool
of 10 connections (intake's pool size); the table is its own (`accepted`, created at start-up in
the database it is given)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Response, status

from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState
from sosa.infra.serving import serve
from sosa.intake.commands.answers import SubmissionAccepted
from tests.kafka_principals import as_super_user

TABLE = """
CREATE TABLE IF NOT EXISTS accepted (
    request_id text PRIMARY KEY,
    received_at timestamptz NOT NULL,
    body jsonb NOT NULL
)"""
INSERT = "INSERT INTO accepted (request_id, received_at, body) VALUES ($1, $2, $3)"


def app_for(database_url: str, bootstrap: str, topic: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(database_url, min_size=10, max_size=10)
        producer = AIOKafkaProducer(**as_super_user(bootstrap), acks="all")
        await producer.start()
        async with pool.acquire() as connection:
            await connection.execute(TABLE)
        app.state.pool, app.state.producer = pool, producer
        try:
            yield
        finally:
            await producer.stop()
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post(
        "/v1/priority-requests",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=SubmissionAccepted,
    )
    async def submit(details: PriorityRequestDetails, response: Response) -> SubmissionAccepted:
        request_id = f"req-{uuid.uuid4().hex}"
        received_at = datetime.now(UTC)
        body = details.model_dump_json()
        async with app.state.pool.acquire() as connection, connection.transaction():
            await connection.execute(INSERT, request_id, received_at, body)
        await app.state.producer.send_and_wait(topic, body.encode(), key=request_id.encode())
        response.headers["Location"] = f"/v1/priority-requests/{request_id}"
        return SubmissionAccepted(
            request_id=request_id,
            command_id=str(uuid.uuid4()),
            state=RequestState.RECEIVED,
            received_at=received_at,
            links={"self": f"/v1/priority-requests/{request_id}"},
        )

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> int:
    port, database_url, bootstrap, topic = sys.argv[1:5]
    return serve(app_for(database_url, bootstrap, topic), host="127.0.0.1", port=int(port))


if __name__ == "__main__":
    sys.exit(main())
