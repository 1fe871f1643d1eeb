"""What a service's OpenAPI document says about each operation and field, completed in one place.

A model's own `Field(description=...)` or an endpoint's own `description=` stays first: this only
fills what they leave out, from the service's glossary: `Schema.field` for a field whose meaning
is the schema's own, else the field's name, whose meaning is the same wherever it appears
(`party_id`, `created_at`). Operations get theirs by `(method, path)`, request bodies their
example, and each successful JSON answer the example of its schema.
`tests/unit/infra/test_openapi_complete.py` fails when anything is left without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

COMMON: Final[Mapping[str, str]] = {
    "party_id": "Identifier of the party (a tenant of the exchange), e.g. `dod-navsea`.",
    "request_id": "Identifier of the priority request (intake assigns it at submission).",
    "command_id": "Identifier of the command (also its CloudEvents id on the bus).",
    "received_at": "When intake received it (ISO 8601, UTC).",
    "created_at": "When it was created (ISO 8601, UTC).",
    "updated_at": "When it last changed (ISO 8601, UTC).",
    "links": "Related resources by relation name (`self`, `request`, ...), as URL paths.",
    "description": "Free text of the caller's, shown back as given.",
    "name": "Display name.",
    "roles": "Roles of the party: requester, supplier, authority, partner_liaison, operator.",
    "since": "Start of the window (ISO 8601 with its offset), inclusive.",
    "until": "End of the window (ISO 8601 with its offset), exclusive; default: now.",
    "items": "The entries of this page, in order.",
    "enabled": "Whether it is in use (false: disabled, nothing is sent to it).",
    "disabled_reason": "Why it was disabled (null while enabled).",
    "disabled_at": "When it was disabled (null while enabled).",
    "failure_streak": "Failed attempts in a row since its last success.",
    "failing_since": "When its current failure streak began (null when healthy).",
    "event_types": "The event types it receives (null: every type the party is told).",
    "event_type": "The event type, e.g. `request.routed`.",
    "mode": "`all`: every message; `fallback`: only escalations when other channels fail.",
    "max_in_flight": "How many attempts to it may be in flight at once (null: the default).",
    "endpoint_id": "Identifier of the webhook endpoint.",
    "recipient_id": "Identifier of the e-mail recipient.",
    "address": "The e-mail address.",
    "url": "The webhook URL (shown without query string or credentials).",
    "topic": "The Kafka topic.",
    "error": "The error, as the service recorded it.",
    "last_error": "The last error recorded (status code or exception, shortened).",
    "deadline": "The response deadline (ISO 8601, UTC); null when no clock runs.",
    "deadline_local": "The same deadline in the supplier's own time zone, with its offset.",
    "state": "Where the request stands (see RequestState).",
    "rating": "The DPAS priority rating, e.g. `DX-A3` (15 CFR 700.11).",
    "rating_level": "`DX`, `DO`, or null (unrated).",
    "path": "Which arrangement carries it: `dpas`, `dpas_via_sosa`, `voluntary`, or `none`.",
    "requester": "The requesting party.",
    "supplier": "The supplier the request is addressed to.",
    "note": "Free text for the record.",
    "reason": "Why, in words.",
    "issued_by": "The party that issues it (the requester or Commerce).",
    "by_commerce": "Issued by Commerce (BIS) rather than by the requester.",
    "authority_party_id": "The authority's party id (DoD for determinations, BIS for ratings).",
    "scope": "`global`, or a SOSA partner's ISO 3166-1 country code.",
    "posture": "`peacetime`, `emergency` or `armed_conflict`.",
    "label": "The caller's name for the API key, e.g. `erp-prod`.",
    "key_id": "Identifier of the API key (not the key itself).",
    "revoked_at": "When the key was revoked (null: it is valid).",
    "ruleset_version": "Version of the rule set that decided it (docs/rules.md).",
    "total": "How many requests.",
    "overdue": "How many of them are overdue.",
    "contract_number": "The contract or order number the requester gives.",
    "offered_date": "The delivery date the supplier offers (YYYY-MM-DD).",
    "target": "Where it goes: the webhook URL or the e-mail address (redacted).",
    "channel": "`webhook` or `email`.",
    "role": "The role in which the party is told (requester, supplier, ...).",
    "status": "HTTP status code.",
    "type": "A URI naming the problem type (`about:blank`).",
    "title": "Short summary of the problem type.",
    "detail": "What went wrong with this request.",
}


COMMON_RESPONSE_EXAMPLES: Final[Mapping[tuple[str, str], Any]] = {
    ("get", "/healthz"): {"status": "ok"},
    ("get", "/readyz"): {"status": "ready", "checks": {"database": True, "kafka": True}},
}
"""The probes every service answers alike (`sosa.infra.health`)."""


@dataclass(frozen=True)
class Glossary:
    """A service's words: fields (`Schema.field` or `field`), operations, schemas, examples."""

    fields: Mapping[str, str]
    operations: Mapping[tuple[str, str], str]
    schemas: Mapping[str, str] = field(default_factory=dict)
    request_examples: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    response_examples: Mapping[Any, Any] = field(default_factory=dict)
    """By the answer's schema name (a list of them: a list of its example), or by
    `(method, path)` for an answer whose schema has no name."""

    def response_example(self, method: str, path: str, schema: Mapping[str, Any]) -> Any:
        name = _named(schema)
        if name is not None and name in self.response_examples:
            return self.response_examples[name]
        items = _named(schema.get("items", {})) if schema.get("type") == "array" else None
        if items is not None and items in self.response_examples:
            return [self.response_examples[items]]
        return self.response_examples.get(
            (method, path), COMMON_RESPONSE_EXAMPLES.get((method, path))
        )

    def field(self, schema: str, name: str) -> str | None:
        base = schema.removesuffix("-Input").removesuffix("-Output")
        return self.fields.get(f"{base}.{name}") or self.fields.get(name) or COMMON.get(name)


def _named(schema: Mapping[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


def complete(document: dict[str, Any], glossary: Glossary) -> dict[str, Any]:
    """`document` with every description and example the glossary gives filled in."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        _describe_schema(name, schema, glossary)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            _describe_operation(method, path, operation, glossary)
    return document


def _describe_schema(name: str, schema: dict[str, Any], glossary: Glossary) -> None:
    base = name.removesuffix("-Input").removesuffix("-Output")
    if not schema.get("description") and base in glossary.schemas:
        schema["description"] = glossary.schemas[base]
    for prop, spec in schema.get("properties", {}).items():
        text = None if spec.get("description") else glossary.field(name, prop)
        if text:
            spec["description"] = text


def _describe_operation(
    method: str, path: str, operation: dict[str, Any], glossary: Glossary
) -> None:
    key = (method, path)
    if not operation.get("description") and key in glossary.operations:
        operation["description"] = glossary.operations[key]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and "example" not in body and key in glossary.request_examples:
        body["example"] = glossary.request_examples[key]
    for status, answer in operation.get("responses", {}).items():
        content = answer.get("content", {}).get("application/json")
        if not status.startswith("2") or content is None or "example" in content:
            continue
        example = glossary.response_example(method, path, content.get("schema", {}))
        if example is not None:
            content["example"] = example
