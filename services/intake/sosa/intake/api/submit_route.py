"""Submit's route: the usual submission taken straight through, every other one by FastAPI.

`POST /v1/priority-requests` is intake's busiest route. FastAPI's handler for it (reading the
body, solving the dependencies one by one, checking the endpoint's answer) cost 100-200 us of
CPU per request measured in-process, against 41-49 us for a bare route doing the same
validation (#25, docs/performance.md). `SubmitRoute` keeps the route as FastAPI declared it (the
OpenAPI document, the server span and its `http.route`, every middleware and exception
handler) and replaces only its handler by one that takes **the usual submission** straight
through:

- a JSON body (`Content-Type: application/json`, nothing else) that validates as
  `PriorityRequestDetails`; no `Idempotency-Key`, or one of the header's syntax;
- then the caller authenticated by the same dependency (`sosa.infra.auth.current_caller`: the
  same kept credentials, revocation bound, rate limit and failure count), the key read as
  `commands.idempotency` reads it, and the same answer (`accept_submission`).

Anything else (no body, another content type, JSON that does not parse or validate, a key of
another syntax, a dependency override in place) goes to FastAPI's handler before anything is
checked or counted, so its answer, and the order in which FastAPI finds what is wrong, is
exactly today's. The body is read once: Starlette keeps it on the request for FastAPI's handler.
An error raised after the checks (401, 403, 429, 503, an idempotency replay or conflict) goes
to the same exception handlers either way.

The body is validated as FastAPI validates it: `json.loads` then the model in Python mode.
pydantic's JSON mode (`model_validate_json`) gives another `Decimal` for a quantity written
with an exponent (`1e2`: 100 where FastAPI stores 100.0), which would change what is stored and
an idempotency key's fingerprint.

Tracing: the server span (FastAPI's own, continuing the caller's `traceparent`) is made around
the route as before. FastAPI's spans of its steps (`fastapi.dependencies`, `fastapi.endpoint`,
made only when spans are exported) are not made for a submission taken straight through; every
other one still has them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

from sosa.contracts.parties import Role
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra.auth import Caller, bearer, current_caller
from sosa.intake.commands import idempotency
from sosa.intake.commands.idempotency import Key
from sosa.intake.commands.submissions import submission
from sosa.intake.parties.facts import resolve_submission, seen_by
from sosa.intake.runtime import Runtime

_JSON_TYPES: Final = frozenset({"application/json", "application/json; charset=utf-8"})
"""The `Content-Type`s taken straight through (compared in lower case); FastAPI's handler reads
every other one (`+json` types, other parameters) as it does today."""
_KEY_SYNTAX: Final = re.compile(idempotency.KEY_PATTERN)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


async def accept_submission(
    rt: Runtime, details: PriorityRequestDetails, caller: Caller, key: Key | None
) -> Response:
    """Submit's work once the body, the caller and the key are known: the checks of the caller,
    the parties' facts, the command stored (group commit) and its `202`, written as its bytes."""
    if not caller.has(Role.REQUESTER):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only requesting authorities submit")
    if details.requester.party_id != caller.party_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"requester.party_id must be the calling party ({caller.party_id})",
        )
    registry = await rt.facts.registry((details.requester.party_id, details.supplier.party_id))
    filled, registered = resolve_submission(details, registry, sees=seen_by(caller))
    write = submission(
        filled,
        posted=details,
        registered=registered,
        caller=caller,
        key=key,
        now=rt.clock.now(),
        source=rt.settings.intake_source,
    )
    accepted = await rt.accept(write, key=key, party_id=caller.party_id, body=details)
    return Response(
        accepted.model_dump_json(),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
        headers={"Location": accepted.links["self"]},
    )


async def usual_submission(request: Request) -> PriorityRequestDetails | None:
    """The request's body as submit's model when nothing about the request is unusual (see the
    module's docstring), else None: FastAPI's handler is to answer it. Checks and counts
    nothing: no credential is looked at."""
    if request.app.dependency_overrides:
        return None
    content_type = request.headers.get("content-type")
    if content_type is None or content_type.lower() not in _JSON_TYPES:
        return None
    key = request.headers.get(idempotency.HEADER)
    if key is not None and not _KEY_SYNTAX.fullmatch(key):
        return None
    try:
        body = await request.body()
        if not body:
            return None
        # as FastAPI validates a body: Starlette's `request.json()`, then the model
        return PriorityRequestDetails.model_validate(json.loads(body), from_attributes=True)
    except Exception:
        # unread (a disconnect), not JSON (JSONDecodeError, UnicodeDecodeError, RecursionError)
        # or not valid (ValidationError): FastAPI's handler answers, as it always did
        return None


class SubmitRoute(APIRoute):
    """Submit's `APIRoute`, whose handler takes the usual submission straight through and hands
    every other request to FastAPI's handler (the module's docstring). Declared with the route's
    usual parameters (`APIRouter.add_api_route(..., route_class_override=SubmitRoute)`); the
    endpoint FastAPI calls is submit's own, for the requests it handles."""

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()

        async def handler(request: Request) -> Response:
            details = await usual_submission(request)
            if details is None:
                return await fastapi_handler(request)
            caller = await current_caller(request, await bearer(request))
            key = await idempotency.key_of(request, request.headers.get(idempotency.HEADER))
            return await accept_submission(request.app.state.runtime, details, caller, key)

        return handler
