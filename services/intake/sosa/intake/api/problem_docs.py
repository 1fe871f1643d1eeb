"""Intake's wording of its error answers (what was not stored); the Problem model, the codes
every route answers and the `application/problem+json` document are `sosa.infra.problem_docs`."""

from __future__ import annotations

from sosa.infra.problem_docs import problems_described

problems = problems_described(
    {
        409: "It exists already",
        404: "No such request: intake never accepted one with this id; nothing was stored",
        422: "Malformed input: `errors` names each field at fault and why; nothing was stored",
        503: "The database is unavailable; nothing was stored (see Retry-After)",
    }
)
