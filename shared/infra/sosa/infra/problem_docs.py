"""Error answers in a service's OpenAPI document: problem details (RFC 9457), as
`sosa.infra.problems` sends them, described once here for intake and the notifier.

A route lists the codes it can answer, `responses=problems(404, 422, 503)`; the app's document
goes through `as_problem_json`, which names the media type the handlers really send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from pydantic import BaseModel, Field

from sosa.infra.problems import PROBLEM_JSON

Responses = dict[int | str, dict[str, Any]]


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. `supplier.country`.")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json`."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="422 (and a 403 refusing a party fact): each field at fault."
    )


DESCRIPTIONS: Final[Mapping[int, str]] = {
    401: "No credential, or one that does not check (see WWW-Authenticate)",
    403: "The caller may see this but may not do it (its role, or a party it names)",
    404: "No such resource visible to the caller",
    409: "It conflicts with the resource's current state",
    413: "The request body is larger than SOSA_MAX_BODY_BYTES",
    422: "Malformed input: `errors` names each field at fault and why",
    429: "The calling party is over its rate limit (see Retry-After)",
    503: "The database is unavailable; try again later (see Retry-After)",
}

ALWAYS: Final = (401, 413, 429)
"""Every route may answer these: authentication, the body limit and the rate limit."""


def problems(*codes: int, **described: str) -> Responses:
    """`responses=` for a route: each code answered with a Problem. A description given as
    `_404="..."` replaces the default one. Every route may answer 401, 413 and 429."""
    return _documented(DESCRIPTIONS, codes, described)


def problems_described(defaults: Mapping[int, str]) -> Callable[..., Responses]:
    """`problems` with a service's own wording of some codes (e.g. what was not stored)."""
    descriptions = {**DESCRIPTIONS, **defaults}

    def service_problems(*codes: int, **described: str) -> Responses:
        return _documented(descriptions, codes, described)

    service_problems.__doc__ = problems.__doc__
    return service_problems


def _documented(
    descriptions: Mapping[int, str], codes: tuple[int, ...], described: Mapping[str, str]
) -> Responses:
    return {
        code: {"model": Problem, "description": described.get(f"_{code}", descriptions[code])}
        for code in sorted({*codes, *ALWAYS})
    }


def as_problem_json(openapi: dict[str, Any]) -> dict[str, Any]:
    """Say `application/problem+json` (what the handlers send) for every 4xx and 5xx answer;
    FastAPI documents a response model as `application/json`."""
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
    return openapi
