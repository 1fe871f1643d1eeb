"""Error responses in the OpenAPI document: problem details (RFC 9457), described once here."""

from __future__ import annotations

from typing import Any, Final

from sosa.infra.problems import PROBLEM_JSON
from sosa.intake.schemas import Problem

DESCRIPTIONS: Final = {
    401: "No credential, or one that does not check (see WWW-Authenticate)",
    403: "The caller may see this but may not do it (its role, or a party it names)",
    409: "It exists already",
    413: "The request body is larger than SOSA_MAX_BODY_BYTES",
    429: "The calling party is over its rate limit (see Retry-After)",
    404: "No such request: intake never accepted one with this id; nothing was stored",
    422: "Malformed input: `errors` names each field at fault and why; nothing was stored",
    503: "The database is unavailable; nothing was stored (see Retry-After)",
}


ALWAYS: Final = (401, 413, 429)


def problems(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each code answered with a Problem. A description given as
    `_404="..."` replaces the default one. Every route may answer 401, 413 and 429."""
    return {
        code: {"model": Problem, "description": described.get(f"_{code}", DESCRIPTIONS[code])}
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
