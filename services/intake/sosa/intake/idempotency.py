"""`Idempotency-Key` on intake's POSTs: a retry of the same request gets the first answer.

A client that got no answer (a timeout, a dropped connection, a 503 while the database
restarts) cannot know whether its request was stored. It sends it again with the same key:

- same key, same request (method, path and body) from the same party: the first answer again,
  status, body and `Location`, with `Idempotent-Replayed: true`, and nothing new is stored;
- same key, another request: 422, a problem naming the `Idempotency-Key` header;
- a key never seen: the request is handled as usual, and its answer is remembered in the very
  transaction that stores the command, so a key is remembered exactly when its command is.

The route claims the key first thing in its transaction: on PostgreSQL a concurrent request with
the same key waits at that insert for the first to finish, then replays its answer if it
committed, or goes ahead if it rolled back. Keys are kept per party; nothing removes them yet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import insert_ignoring_duplicates
from sosa.intake import tables

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_keys = tables.idempotency_keys


@dataclass(frozen=True, slots=True)
class Key:
    """The key a request carries, and which operation (method and path) it was sent to."""

    value: str
    operation: str


async def _key_of(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=r"^[!-~]{1,255}$",
            description="Makes a retry safe: the same key with the same request returns the "
            "first answer and stores nothing new; with another request it is a 422. Up to 255 "
            "visible ASCII characters (a quoted string, as the IETF draft writes it, is "
            "unquoted). Kept per calling party.",
        ),
    ] = None,
) -> Key | None:
    if key is None:
        return None
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    return Key(key, f"{request.method} {request.url.path}")


IdempotencyKeyDep = Annotated[Key | None, Depends(_key_of)]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A key claimed in the current transaction, to be given the answer before it commits."""

    party_id: str
    key: str


class Replay(Exception):  # noqa: N818 - not an error: the answer to give
    """Raised to answer with the first answer to this key (the transaction stores nothing)."""

    def __init__(self, status_code: int, body: Any, headers: dict[str, str]) -> None:
        super().__init__(status_code)
        self.response = JSONResponse(
            body, status_code=status_code, headers={**headers, REPLAYED: "true"}
        )


def fingerprint(operation: str, body: BaseModel) -> str:
    """What makes two requests the same one: the operation and the body as validated (so
    member order and white space do not matter)."""
    canonical = json.dumps(
        [operation, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession,
    key: Key | None,
    *,
    party_id: str,
    body: BaseModel,
    now: datetime,
) -> Ticket | None:
    """Call first in the transaction that stores the request. A key seen before raises Replay
    (same request) or a 422 (another one); a new key is reserved and a Ticket returned."""
    if key is None:
        return None
    ticket = Ticket(party_id, key.value)
    digest = fingerprint(key.operation, body)
    row = {"party_id": party_id, "key": key.value, "fingerprint": digest, "created_at": now}
    # PostgreSQL makes this insert wait for a concurrent transaction holding the same key
    if not await insert_ignoring_duplicates(session, _keys, [row]):
        await _answer_if_known(session, ticket, digest)
        raise RuntimeError(f"{HEADER} {key.value!r} was taken and is gone again")
    return ticket


class Accepted(Protocol):
    """An answer that names what it stored (SubmissionAccepted, CommandAccepted)."""

    links: dict[str, str]

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


async def remember(
    session: AsyncSession, ticket: Ticket | None, *, status_code: int, body: Accepted
) -> None:
    """Store the answer (its body, and its `Location`: the `self` link) with the claimed key,
    in the transaction that stores the request."""
    if ticket is None:
        return
    await session.execute(
        update(_keys)
        .where(_keys.c.party_id == ticket.party_id, _keys.c.key == ticket.key)
        .values(
            status_code=status_code,
            body=body.model_dump(mode="json"),
            headers={"Location": body.links["self"]},
        )
    )


async def _answer_if_known(session: AsyncSession, ticket: Ticket, digest: str) -> None:
    row = (
        await session.execute(
            select(_keys.c.fingerprint, _keys.c.status_code, _keys.c.body, _keys.c.headers).where(
                _keys.c.party_id == ticket.party_id, _keys.c.key == ticket.key
            )
        )
    ).one_or_none()
    if row is None:
        return
    if row.fingerprint != digest:
        raise RequestValidationError(
            [
                {
                    "loc": ("header", HEADER),
                    "msg": f"this {HEADER} was used for another request (another body or "
                    "path); use a new key for a new request",
                    "type": "idempotency_key_reused",
                }
            ]
        )
    raise Replay(row.status_code, row.body, row.headers)


def install(app: FastAPI) -> None:
    """Answer a Replay with the first answer."""

    @app.exception_handler(Replay)
    async def _replay(_: Request, exc: Replay) -> JSONResponse:
        return exc.response
