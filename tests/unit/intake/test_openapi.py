"""Intake's OpenAPI document: every endpoint summarised, typed, and its errors as problems."""

from __future__ import annotations

from typing import Any

import pytest

from sosa.intake.app import create_app
from sosa.intake.settings import IntakeSettings

ENDPOINTS = [
    ("post", "/v1/priority-requests", "202"),
    ("get", "/v1/priority-requests", "200"),
    ("post", "/v1/priority-requests/evaluate", "200"),
    ("get", "/v1/priority-requests/{request_id}", "200"),
    ("post", "/v1/priority-requests/{request_id}/responses", "202"),
    ("post", "/v1/priority-requests/{request_id}/amendments", "202"),
    ("post", "/v1/priority-requests/{request_id}/cancellation", "202"),
    ("post", "/v1/priority-requests/{request_id}/determination", "202"),
    ("post", "/v1/priority-requests/{request_id}/authorization", "202"),
    ("get", "/v1/priority-requests/{request_id}/commands/{command_id}", "200"),
    ("get", "/v1/suppliers/{supplier_id}/work-order", "200"),
]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    # building the app opens nothing: the engine connects lazily, the lifespan does not run
    app = create_app(IntakeSettings(intake_database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


@pytest.mark.parametrize(("method", "path", "success"), ENDPOINTS)
def test_each_endpoint_is_summarised_with_a_typed_answer(
    spec: dict[str, Any], method: str, path: str, success: str
) -> None:
    operation = spec["paths"][path][method]
    assert operation["summary"]
    schema = operation["responses"][success]["content"]["application/json"]["schema"]
    assert "$ref" in schema


@pytest.mark.parametrize(("method", "path", "success"), ENDPOINTS)
def test_every_error_is_documented_as_a_problem(
    spec: dict[str, Any], method: str, path: str, success: str
) -> None:
    responses = spec["paths"][path][method]["responses"]
    errors = {code: r for code, r in responses.items() if code != success}
    assert "422" in errors
    for response in errors.values():
        assert list(response["content"]) == ["application/problem+json"]
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
    if "{request_id}" in path:
        assert "404" in errors


def test_nothing_but_the_health_checks_skips_the_database(
    spec: dict[str, Any],
) -> None:
    """Even the dry run may read it: an API key is checked against intake's table."""
    without_503 = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "503" not in operation["responses"]
    }
    assert without_503 == {
        ("get", "/healthz"),
        ("get", "/readyz"),
    }


@pytest.mark.parametrize(
    "path", [path for method, path, _ in ENDPOINTS if method == "post" and "evaluate" not in path]
)
def test_every_write_declares_idempotency_key_so_that_it_is_documented_and_fuzzed(
    spec: dict[str, Any], path: str
) -> None:
    parameters = {(p["in"], p["name"]): p for p in spec["paths"][path]["post"]["parameters"]}
    schema = parameters[("header", "Idempotency-Key")]["schema"]["anyOf"][0]
    assert schema["pattern"] == r"^[!-~]{1,255}$"


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [
        ("/v1/priority-requests", "get", "due_before"),
        ("/v1/priority-requests/evaluate", "post", "as_of"),
        *(
            (f"/v1/analytics/{figure}", "get", bound)
            for figure in ("concentration", "redundancy-gaps", "rates")
            for bound in ("since", "until")
        ),
    ],
)
def test_every_time_parameter_is_a_date_time(
    spec: dict[str, Any], path: str, method: str, name: str
) -> None:
    """Documented as such, so that the fuzzing sends times of every kind (fuzz_hooks.py)."""
    parameters = {p["name"]: p for p in spec["paths"][path][method]["parameters"]}
    assert parameters[name]["schema"]["anyOf"][0] == {"type": "string", "format": "date-time"}
