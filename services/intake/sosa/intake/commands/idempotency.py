"""`Idempotency-Key` on intake's POSTs: a retry of the same request gets the first answer.

A client that got no answer (a timeout, a dropped connection, a 503 while the database
restarts) cannot know whether its request was stored. It sends it again with the same key:

- same key, same request (method, path and body) from the same party: the first answer again,
  status, body and `Location`, with `Idempotent-Replayed: true`, and nothing new is stored;
- same key, another request: 422, a problem naming the `Idempotency-Key` header;
- a key never seen: the request is handled as usual, and its answer is remembered in the very
  transaction that stores the command, so a key is remembered exactly when its command is.

The key row, with the answer it will replay, is inserted first in the transaction that stores
the request (`writes.store_all`): on PostgreSQL a concurrent request with the same key waits at
that insert for the first to finish, then replays its answer if it committed, or is stored if
it rolled back. Keys are kept per party; nothing removes them yet.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NoReturn

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.intake import tables

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[!-~]{1,255}$"
"""The header's syntax: 1 to 255 visible ASCII characters."""
REPLAYED = "Idempotent-Replayed"
_keys = tables.idempotency_keys


@dataclass(frozen=True, slots=True)
class Key:
    """The key a request carries, and which operation (method and path) it was sent to."""

    value: str
    operation: str


async def key_of(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
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
    return Key(key, f"{request.method} {_path_of(request)}")


def _path_of(request: Request) -> str:
    """`request.url.path` without building the whole URL (its host, scheme and query, then
    parsed again: #25): the path as Starlette's `URL` escapes it."""
    path: str = request.scope["path"]
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


IdempotencyKeyDep = Annotated[Key | None, Depends(key_of)]


class Replay(Exception):  # noqa: N818 - not an error: the answer to give
    """Raised to answer with the first answer to this key (the transaction stores nothing)."""

    def __init__(self, status_code: int, body: Any, headers: dict[str, str]) -> None:
        super().__init__(status_code)
        self.response = JSONResponse(
            body, status_code=status_code, headers={**headers, REPLAYED: "true"}
        )


FINGERPRINT_V2 = "v2:"
"""The prefix of the fingerprints stored since #25: the operation and `model_dump_json()`'s
bytes, hashed, base64url (46 characters, where the column holds 64). A stored fingerprint
without it is of the first form, 64 hex digits, and is compared in that form (`same_request`),
so a retry across the upgrade still replays its first answer."""


def fingerprint(operation: str, body: BaseModel) -> str:
    """What makes two requests the same one: the operation and the body as validated (so
    member order and white space do not matter: the fields come out in the model's order)."""
    digest = hashlib.sha256(operation.encode())
    digest.update(b"\n")
    digest.update(body.model_dump_json().encode())
    return FINGERPRINT_V2 + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def fingerprint_v1(operation: str, body: BaseModel) -> str:
    """The first form (before #25): the canonical JSON of `[operation, body]` with its members
    sorted, hashed, in hex; about 2.5 times the CPU of `fingerprint`. Computed only for a key
    stored in that form."""
    canonical = json.dumps(
        [operation, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_request(stored: str, operation: str, body: BaseModel) -> bool:
    """Whether `body` sent to `operation` is the request whose fingerprint was `stored`, in the
    form it was stored in."""
    if stored.startswith(FINGERPRINT_V2):
        return stored == fingerprint(operation, body)
    return stored == fingerprint_v1(operation, body)


def key_row(
    key: Key | None,
    *,
    party_id: str,
    body: BaseModel,
    answer: BaseModel,
    location: str | None,
    now: datetime,
) -> dict[str, Any] | None:
    """The `idempotency_keys` row that remembers `answer` (its status, body and `Location`
    header, when the answer has one) for `key`; stored in the transaction that stores the
    request, so a key is remembered exactly when its request is."""
    if key is None:
        return None
    return {
        "party_id": party_id,
        "key": key.value,
        "fingerprint": fingerprint(key.operation, body),
        "created_at": now,
        "status_code": 202,
        "body": answer.model_dump(mode="json"),
        "headers": {"Location": location} if location else {},
    }


async def replay_known(
    session: AsyncSession, key: Key | None, *, party_id: str, body: BaseModel
) -> None:
    """If `key` was used before, answer as then: raise Replay (the same request) or a 422
    (another request); return when the key is unknown."""
    if key is None:
        return
    row = (
        await session.execute(
            select(_keys.c.fingerprint, _keys.c.status_code, _keys.c.body, _keys.c.headers).where(
                _keys.c.party_id == party_id, _keys.c.key == key.value
            )
        )
    ).one_or_none()
    if row is None:
        return
    if not same_request(row.fingerprint, key.operation, body):
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


async def replay_taken(
    session: AsyncSession, key: Key | None, *, party_id: str, body: BaseModel
) -> NoReturn:
    """Answer a request whose key was taken when it was to be stored (`writes.store_all`
    stored nothing of it): the first answer again, or a 422."""
    await replay_known(session, key, party_id=party_id, body=body)
    raise RuntimeError(f"{HEADER} {key.value if key else None!r} was taken and is gone again")


def install(app: FastAPI) -> None:
    """Answer a Replay with the first answer."""

    @app.exception_handler(Replay)
    async def _replay(_: Request, exc: Replay) -> JSONResponse:
        return exc.response
