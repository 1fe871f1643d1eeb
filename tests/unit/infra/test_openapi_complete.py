"""Both services' OpenAPI documents are complete (issue #26): every operation and every schema
field described, every request body and every successful answer with an example that its own
schema accepts, reason codes
and event types as enumerations, each reason code with its 15 CFR 700.13 paragraph."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from sosa.contracts.reasons import ReasonCode
from sosa.intake.app import create_app as create_intake
from sosa.intake.settings import IntakeSettings
from sosa.notifier.app import create_app as create_notifier
from sosa.notifier.event_types import EventType
from sosa.notifier.settings import NotifierSettings
from sosa.rules.rejections import MANDATORY, OPTIONAL

DOCUMENTS = {
    "intake": lambda: create_intake(
        IntakeSettings(intake_database_url="sqlite+aiosqlite:///:memory:")
    ).openapi(),
    "notifier": lambda: create_notifier(
        NotifierSettings(notifier_database_url="sqlite+aiosqlite:///:memory:")
    ).openapi(),
}


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    built: dict[str, Any] = DOCUMENTS[request.param]()
    return built


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_is_described(document: dict[str, Any]) -> None:
    bare = [(m, p) for m, p, op in operations(document) if not op.get("description")]
    assert bare == []
    assert all(op.get("summary") or op.get("description") for _, _, op in operations(document))


def test_every_schema_and_every_field_is_described(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    fields = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert fields == []
    objects = [n for n, s in schemas.items() if "properties" in s and not s.get("description")]
    assert objects == []


def test_every_request_body_has_an_example_its_schema_accepts(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        if "requestBody" not in operation:
            continue
        content = operation["requestBody"]["content"]["application/json"]
        assert "example" in content, (method, path)
        schema = {**content["schema"], "components": document["components"]}
        jsonschema.validate(content["example"], schema)  # resolves #/components/... refs
        checked += 1
    assert checked >= 6


def test_every_answer_has_an_example_its_schema_accepts(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            content = answer.get("content", {}).get("application/json")
            if not status.startswith("2") or content is None:
                continue
            assert "example" in content, (method, path, status)
            schema = {**content["schema"], "components": document["components"]}
            jsonschema.validate(content["example"], schema)
            checked += 1
    assert checked >= 15


def test_every_answer_in_another_format_has_an_example(document: dict[str, Any]) -> None:
    """CSV answers (the analytics' `format=csv`) show what the export writes."""
    csv = 0
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            for media, content in answer.get("content", {}).items():
                if not status.startswith("2") or "json" in media:
                    continue
                assert isinstance(content.get("example"), str), (method, path, status, media)
                assert content["example"].strip(), (method, path, status, media)
                csv += media == "text/csv"
    analytics = [p for p in document["paths"] if p.startswith("/v1/analytics/")]
    assert csv == len(analytics), (csv, analytics)  # intake's five figures; the notifier has none


def enum_of(document: dict[str, Any], schema: str) -> list[str]:
    found: list[str] = document["components"]["schemas"][schema]["enum"]
    return found


def test_reason_codes_are_an_enumeration_each_naming_its_paragraph() -> None:
    document = DOCUMENTS["intake"]()
    assert set(enum_of(document, "ReasonCode")) == {c.value for c in ReasonCode}
    # the nine codes the rules accept: (b)(1)-(4) and (c)(1)-(5)
    assert {c.value for c in ReasonCode} == {r.value for r in (*MANDATORY, *OPTIONAL)}
    reason = document["components"]["schemas"]["SupplierResponseDetails"]["properties"]["reason"]
    paragraphs = reason["x-enum-descriptions"]
    assert set(paragraphs) == {c.value for c in ReasonCode}
    for code, text in paragraphs.items():
        part, number = code.split("_")[1][0].lower(), code.split("_")[1][1]
        assert f"15 CFR 700.13({part})({number})" in text, code
        assert (
            f"(700.13({part})({number})"
            in document["components"]["schemas"]["ReasonCode"]["description"]
        ), code


def test_event_types_are_an_enumeration_each_described() -> None:
    document = DOCUMENTS["notifier"]()
    assert set(enum_of(document, "EventType")) == {t.value for t in EventType}
    for schema in ("EndpointIn", "RecipientIn"):
        spec = document["components"]["schemas"][schema]["properties"]["event_types"]
        listed = spec["anyOf"][0]
        assert listed["items"] == {"$ref": "#/components/schemas/EventType"}
        assert set(listed["x-enum-descriptions"]) == {t.value for t in EventType}
