"""The notifier's OpenAPI document: every operation summarised, and its errors documented as
problems (RFC 9457, `application/problem+json`), with the codes each handler can really answer."""

from __future__ import annotations

from typing import Any

import pytest

from sosa.notifier.app import create_app
from sosa.notifier.settings import NotifierSettings

# (method, path): its success code, and the error codes beyond 401, 413, 429 and 503
OPERATIONS: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("post", "/v1/endpoints"): ("201", {"403", "422"}),
    ("get", "/v1/endpoints"): ("200", {"422"}),
    ("get", "/v1/endpoints/{endpoint_id}"): ("200", {"404", "422"}),
    ("patch", "/v1/endpoints/{endpoint_id}"): ("200", {"404", "422"}),
    ("delete", "/v1/endpoints/{endpoint_id}"): ("204", {"404", "422"}),
    ("post", "/v1/endpoints/{endpoint_id}/secret/rotate"): ("200", {"404", "422"}),
    ("post", "/v1/endpoints/{endpoint_id}/test"): ("202", {"404", "409", "422"}),
    ("post", "/v1/email-recipients"): ("201", {"403", "422"}),
    ("get", "/v1/email-recipients"): ("200", {"422"}),
    ("patch", "/v1/email-recipients/{recipient_id}"): ("200", {"404", "422"}),
    ("delete", "/v1/email-recipients/{recipient_id}"): ("204", {"404", "422"}),
    ("get", "/v1/deliveries"): ("200", {"422"}),
    ("get", "/v1/delivery-failures"): ("200", {"422"}),
    ("get", "/v1/deliveries/{delivery_id}"): ("200", {"404", "422"}),
    ("post", "/v1/deliveries/{delivery_id}/retry"): ("202", {"404", "409", "422"}),
    ("post", "/v1/deliveries/recover"): ("200", {"422"}),
    ("get", "/v1/stream"): ("200", {"422"}),
    ("get", "/v1/me"): ("200", set()),
    ("get", "/v1/event-types"): ("200", set()),
}
EVERY_ROUTE = {"401", "413", "429"}
WITHOUT_THE_DATABASE = {("get", "/healthz"), ("get", "/readyz")}
"""Unauthenticated, and they never answer a problem: the only operations that cannot answer 503
as a problem (/readyz says 503 in its own JSON when the database does not answer)."""


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    # building the app opens nothing: the engine connects lazily, the lifespan does not run
    app = create_app(NotifierSettings(notifier_database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in spec["paths"].items() for method in ops}


def test_every_operation_is_listed_here(spec: dict[str, Any]) -> None:
    """A new route must be added above, with the codes it answers."""
    assert operations(spec) == set(OPERATIONS) | WITHOUT_THE_DATABASE


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_each_operation_documents_exactly_the_errors_it_answers(
    spec: dict[str, Any], method: str, path: str
) -> None:
    operation = spec["paths"][path][method]
    assert operation["summary"]
    success, specific = OPERATIONS[(method, path)]
    errors = {code for code in operation["responses"] if code != success}
    assert errors == EVERY_ROUTE | {"503"} | specific


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_every_error_is_a_problem_document(spec: dict[str, Any], method: str, path: str) -> None:
    for code, response in spec["paths"][path][method]["responses"].items():
        if code[0] not in "45":
            continue
        assert response["description"], code
        assert list(response["content"]) == ["application/problem+json"], code
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, code


def test_the_problem_schema_names_the_fields_at_fault(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"title", "status", "detail"}
    assert "errors" in problem["properties"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_nothing_but_the_health_checks_skips_the_database(spec: dict[str, Any]) -> None:
    """Even /v1/me may read it: an API key is checked against the notifier's copy of the keys."""
    without_503 = {
        (method, path)
        for path, ops in spec["paths"].items()
        for method, operation in ops.items()
        if "503" not in operation["responses"]
    }
    assert without_503 == WITHOUT_THE_DATABASE


def test_the_stream_declares_last_event_id_so_that_it_is_documented_and_fuzzed(
    spec: dict[str, Any],
) -> None:
    parameters = {(p["in"], p["name"]): p for p in spec["paths"]["/v1/stream"]["get"]["parameters"]}
    for where in (("header", "Last-Event-ID"), ("query", "last_event_id")):
        schema = parameters[where]["schema"]["anyOf"][0]
        assert schema == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, where


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [
        ("/v1/deliveries", "get", "since"),
        ("/v1/deliveries", "get", "until"),
        ("/v1/delivery-failures", "get", "since"),
    ],
)
def test_every_time_parameter_is_a_date_time(
    spec: dict[str, Any], path: str, method: str, name: str
) -> None:
    """Documented as such, so that the fuzzing sends times of every kind (fuzz_hooks.py)."""
    parameters = {p["name"]: p for p in spec["paths"][path][method]["parameters"]}
    assert parameters[name]["schema"]["anyOf"][0] == {"type": "string", "format": "date-time"}
