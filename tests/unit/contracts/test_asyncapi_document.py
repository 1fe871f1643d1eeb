"""docs/asyncapi.json: generated from the contracts, current, complete and valid.

The committed document must be what `uv run python -m sosa.ops.asyncapi` prints now; every
topic, every message type and every payload model of `sosa.contracts` is in it with a valid JSON
Schema; and who sends or receives which topic agrees with the topics each service's code names.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel

from sosa.contracts import (
    commands,
    deliveries,
    envelope,
    outcomes,
    parties,
    posture,
    requests,
    states,
    topics,
)
from sosa.infra import dead_letters
from sosa.ops import asyncapi

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "asyncapi.json"
REGENERATE = "uv run python -m sosa.ops.asyncapi > docs/asyncapi.json"
SERVICES = ("intake", "router", "notifier")
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(asyncapi.render())
    return document


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for escaped in ref[2:].split("/"):
        part = escaped.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"unresolvable $ref {ref}"
        assert part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _schema_of(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A standalone schema for one component, its references resolvable inside it."""
    return {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}


def _contract_models() -> dict[str, type[BaseModel]]:
    """Every message model in the contracts: a pydantic model whose `type` names its ce_type."""
    found: dict[str, type[BaseModel]] = {}
    for module in (commands, outcomes, posture, deliveries, parties, requests, states):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and "type" in value.model_fields
                and isinstance(value.model_fields["type"].default, str)
            ):
                found[value.model_fields["type"].default] = value
    return found


def test_the_committed_document_is_current() -> None:
    assert COMMITTED.exists(), f"docs/asyncapi.json is missing: run `{REGENERATE}`"
    if COMMITTED.read_text(encoding="utf-8") != asyncapi.render():
        pytest.fail(
            f"docs/asyncapi.json is stale (the contracts changed since it was generated): "
            f"run `{REGENERATE}` and commit it",
            pytrace=False,
        )


def test_it_is_an_asyncapi_3_document(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"].startswith("3.")
    assert {"info", "channels", "operations", "components"} <= set(doc)
    assert doc["defaultContentType"] == envelope.JSON
    for ref in _refs(doc):
        _resolve(doc, ref)
    for operation in doc["operations"].values():
        assert operation["action"] in ("send", "receive")
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            # AsyncAPI 3: an operation's messages are those of its channel
            assert message["$ref"].startswith(channel_ref + "/messages/"), message


def test_every_topic_is_a_channel_at_its_own_address(doc: dict[str, Any]) -> None:
    assert set(doc["channels"]) == set(topics.ALL)
    for topic in topics.ALL:
        channel = doc["channels"][topic]
        assert channel["address"] == topic
        assert "SOSA_TOPIC_PREFIX" in channel["description"]
        assert channel["messages"], f"{topic} carries no message"
        compact = channel["bindings"]["kafka"].get("topicConfiguration", {})
        assert (compact.get("cleanup.policy") == ["compact"]) == (topic in topics.COMPACTED)


def test_every_message_type_is_on_its_topic_with_a_payload_schema(doc: dict[str, Any]) -> None:
    on_topic = {
        topics.REQUESTS: set(commands.COMMAND_TYPES),
        topics.OUTCOMES: {*outcomes.OUTCOME_TYPES, posture.CHANGED},
        topics.DELIVERIES: {deliveries.ATTEMPTED},
        topics.PARTIES: {parties.PARTY},
    }
    for topic, types in on_topic.items():
        assert set(doc["channels"][topic]["messages"]) == types, topic
    models = _contract_models()
    assert set(models) == set().union(*on_topic.values()), "a message model has no channel"
    for ce_type, model in models.items():
        message = doc["components"]["messages"][ce_type]
        assert message["name"] == ce_type
        assert message["payload"] == {"$ref": f"#/components/schemas/{model.__name__}"}
        assert {"const": ce_type} in [
            part.get("properties", {}).get("ce_type") for part in message["headers"]["allOf"]
        ]


def test_each_message_is_keyed_by_a_field_of_its_payload(doc: dict[str, Any]) -> None:
    for channel in asyncapi.CHANNELS:
        for ce_type, model in asyncapi.message_types(channel.topic).items():
            assert set(channel.key) & set(model.model_fields), f"{ce_type} lacks its key field"
            key = doc["components"]["messages"][ce_type]["bindings"]["kafka"]["key"]
            assert key["type"] == "string"
            assert all(f"`{field}`" in key["description"] for field in channel.key)


def test_payload_and_header_schemas_are_valid_json_schema(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for name, schema in schemas.items():
        try:
            jsonschema_rs.meta.validate(schema)
        except jsonschema_rs.ValidationError as exc:  # pragma: no cover - the failure message
            pytest.fail(f"components.schemas.{name} is not a valid JSON Schema: {exc}")
        jsonschema_rs.validator_for(_schema_of(doc, name))  # every $ref inside resolves


def test_the_envelope_headers_are_the_cloudevents_binary_mode_ones(doc: dict[str, Any]) -> None:
    headers = doc["components"]["schemas"][asyncapi.ENVELOPE_HEADERS]
    wanted = {"ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type"}
    assert wanted <= set(headers["required"])
    assert "ce_traceparent" in headers["properties"]
    assert "ce_traceparent" not in headers["required"]
    record = envelope.wrap(
        parties.PartyRecord(party_id="p", name="P", roles=[], updated_at=T0),
        event_id="e",
        event_type=parties.PARTY,
        source="/sosa/intake",
        subject="p",
        time=T0,
    )
    written = {name: value.decode() for name, value in envelope.to_kafka(record)[2]}
    jsonschema_rs.validate(_schema_of(doc, asyncapi.ENVELOPE_HEADERS), written)


def test_dead_letter_topics_carry_the_provenance_headers(doc: dict[str, Any]) -> None:
    provenance = [
        dead_letters.ORIGINAL_TOPIC,
        dead_letters.ORIGINAL_PARTITION,
        dead_letters.ORIGINAL_OFFSET,
        dead_letters.ERROR,
        dead_letters.ERROR_CLASS,
        dead_letters.CONSUMER,
    ]
    headers = doc["components"]["schemas"][asyncapi.DEAD_LETTER_HEADERS]
    assert headers["required"] == provenance
    for topic in topics.ALL:
        if topic.endswith(topics.dead_letter("")):
            assert list(doc["channels"][topic]["messages"]) == [asyncapi.DEAD_LETTER]
    letter = dict.fromkeys(("ce_id", "ce_type"), "x") | {
        name: value.decode()
        for name, value in dead_letters.provenance_headers(
            topic=topics.REQUESTS, partition=2, offset=41, error=ValueError("bad"), consumer="r"
        )
    }
    jsonschema_rs.validate(_schema_of(doc, asyncapi.DEAD_LETTER_HEADERS), letter)


def _samples() -> list[BaseModel]:
    """One message of each topic as its producer builds it."""
    parties_involved = outcomes.Parties(requester="dod-navsea", supplier="acme-valves")
    decision = outcomes.DecisionRecord(outcome="dpas_rated_order", ruleset_version="test/1")
    details = requests.PriorityRequestDetails(
        requester=requests.Requester(
            party_id="dod-navsea", kind=requests.RequesterKind.US_DOD, country="US"
        ),
        supplier=requests.Supplier(party_id="acme-valves", name="Acme Valves", country="US"),
        rating="DO-A1",
        items=[requests.LineItem(description="valve", quantity=Decimal("2.5"))],
        required_delivery_dates=["2027-03-01"],
    )
    return [
        commands.SubmitRequest(command_id="c1", request_id="r1", received_at=T0, details=details),
        commands.RespondToRequest(
            command_id="c2",
            request_id="r1",
            received_at=T0,
            response=commands.SupplierResponseDetails(
                supplier_party_id="acme-valves", kind="partial", offered_date=date(2027, 4, 1)
            ),
        ),
        outcomes.RequestTransitioned(
            event_id="e1",
            request_id="r1",
            sequence=1,
            state=states.RequestState.ROUTED,
            path=states.RoutePath.DPAS,
            decision=decision,
            parties=parties_involved,
            caused_by="c1",
            occurred_at=T0,
            previous_state=None,
        ),
        parties.PartyRecord(
            party_id="acme-valves", name="Acme", roles=[parties.Role.SUPPLIER], updated_at=T0
        ),
    ]


@pytest.mark.parametrize("sample", _samples(), ids=lambda s: type(s).__name__)
def test_what_a_producer_sends_satisfies_its_schema(doc: dict[str, Any], sample: BaseModel) -> None:
    wire = json.loads(sample.model_dump_json())
    jsonschema_rs.validate(_schema_of(doc, type(sample).__name__), wire)


_NAMED_TOPIC = re.compile(r"topics\.dead_letter\(\s*topics\.([A-Z_]+)\s*\)|topics\.([A-Z_]+)\b")


def _topics_named_by(service: str) -> set[str]:
    """The contract topics a service's code names (`topics.X`, `topics.dead_letter(topics.X)`)."""
    named: set[str] = set()
    for path in (ROOT / "services" / service).rglob("*.py"):
        for dead, plain in _NAMED_TOPIC.findall(path.read_text(encoding="utf-8")):
            value = getattr(topics, dead or plain)
            if isinstance(value, str):
                named.add(topics.dead_letter(value) if dead else value)
    return named


@pytest.mark.parametrize("service", SERVICES)
def test_operations_agree_with_the_topics_each_service_names(
    doc: dict[str, Any], service: str
) -> None:
    documented = {
        _resolve(doc, op["channel"]["$ref"])["address"]
        for op in doc["operations"].values()
        if op["tags"] == [{"name": service}]
    }
    assert documented == _topics_named_by(service), (
        f"{service}'s operations in sosa.ops.asyncapi.OPERATIONS disagree with the topics its "
        f"code names; fix OPERATIONS, then run `{REGENERATE}`"
    )
