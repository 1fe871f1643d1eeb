"""Errors as RFC 9457 `application/problem+json`, naming the field and the reason; never a trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sosa.infra.db import UNAVAILABLE

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)
TITLES = {
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    429: "Too many requests",
}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts)


def invalid(field: str, reason: str, *, where: str = "body") -> RequestValidationError:
    """A 422 on one field that a route finds bad after parsing (an SSRF-refused URL, a window
    too long): answered like any malformed input, with `errors` naming `field` (dotted within
    `where`: body, query, path or header)."""
    location = (where, *field.split("."))
    return RequestValidationError([{"loc": location, "msg": reason, "type": "value_error"}])


def install(app: FastAPI) -> None:
    """Make every error response of `app` a problem document."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(e.get("loc", ())), "reason": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, "Invalid request", summary, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        title = TITLES.get(exc.status_code, "Request failed")
        # an error that names its fields (e.g. intake's party facts) carries them, as a 422 does
        errors = getattr(exc, "errors", None)
        extra = {"errors": errors} if isinstance(errors, list) else {}
        response = problem(exc.status_code, title, str(exc.detail), **extra)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return problem(500, "Internal error", "The server could not handle this request.")


def install_database_unavailable(app: FastAPI, detail: str) -> None:
    """Answer `503` with `Retry-After` when the service's database cannot be reached (instead of
    the `500` of an unexpected error): the client may retry, with the same Idempotency-Key."""

    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable", exc_info=exc)
        response = problem(503, "Service unavailable", detail)
        response.headers["Retry-After"] = "5"
        return response

    for error in UNAVAILABLE:
        app.add_exception_handler(error, _database_down)
