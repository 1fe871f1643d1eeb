"""The AsyncAPI 3.0 document of sosa's Kafka topics, generated from the contracts.

Everything the code knows is taken from it: topic names (`sosa.contracts.topics`), the message
types on each topic and their payload models (the `type` of each model, the command and outcome
registries), the CloudEvents binary-mode headers (what `envelope.to_kafka` writes), the
dead-letter provenance headers (what `sosa.infra.dead_letters` adds) and the default broker
address. What docs/architecture.md ("Topics") says in prose is written here once, as data checked by
tests/unit/contracts/test_asyncapi_document.py against the services' code: which field is each
topic's key and which service sends or receives which topic.

It lives in the operators' tool, not in `sosa.contracts`: contracts are data only and may not
import `sosa.infra` (where the dead-letter headers are spelled), and services may not import it.
`uv run python -m sosa.ops.asyncapi > docs/asyncapi.json` writes the committed
document.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from sosa.contracts import (
    audit,
    commands,
    deliveries,
    envelope,
    outcomes,
    parties,
    posture,
    topics,
)
from sosa.infra import dead_letters
from sosa.infra.settings import CommonSettings

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
SCHEMAS: Final = "#/components/schemas/"
ENVELOPE_HEADERS: Final = "CloudEventsHeaders"
DEAD_LETTER_HEADERS: Final = "DeadLetterHeaders"
DEAD_LETTER: Final = "deadLetter"


@dataclass(frozen=True, slots=True)
class Channel:
    """A topic whose messages have payload models: what it carries and how it is keyed."""

    topic: str
    models: tuple[type[BaseModel], ...]
    key: tuple[str, ...]
    """Payload fields that give the Kafka key (also `ce_subject`), the first one that is set."""


@dataclass(frozen=True, slots=True)
class Operation:
    """A service sends or receives one topic; `types` narrows the messages (empty: all)."""

    service: str
    action: str
    topic: str
    types: tuple[str, ...] = ()
    summary: str = ""


def _doc(obj: object) -> str:
    """First paragraph of a docstring, on one line."""
    text = inspect.getdoc(obj) or ""
    return " ".join(text.split("\n\n")[0].split())


def topic_docs() -> dict[str, str]:
    """Each topic constant's docstring in `sosa.contracts.topics`, by topic name."""
    found: dict[str, str] = {}
    body = ast.parse(inspect.getsource(topics)).body
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign | ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[node.value.value] = " ".join(following.value.value.split())
    return found


CHANNELS: Final[tuple[Channel, ...]] = (
    Channel(topics.REQUESTS, tuple(commands.COMMAND_TYPES.values()), ("request_id",)),
    Channel(
        topics.OUTCOMES,
        (*outcomes.OUTCOME_TYPES.values(), posture.PostureChanged),
        ("request_id", "scope"),  # a posture's events are keyed by their scope
    ),
    Channel(topics.DELIVERIES, (deliveries.DeliveryAttempted,), ("request_id", "delivery_id")),
    Channel(topics.PARTIES, (parties.PartyRecord,), ("party_id",)),
    Channel(topics.AUDIT_CHECKPOINTS, (audit.AuditCheckpoint,), ("log",)),
)
"""Every topic with payload models; the dead-letter topics (`topics.dead_letter`) carry theirs."""

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "intake",
        "send",
        topics.REQUESTS,
        tuple(t for t in commands.COMMAND_TYPES if t != commands.TICK),  # with set-posture
        "Publishes each accepted command from its outbox (idempotent producer, acks=all).",
    ),
    Operation("intake", "send", topics.PARTIES, (), "Publishes each party's whole record."),
    Operation("intake", "receive", topics.OUTCOMES, (), "Builds its read model from outcomes."),
    Operation("intake", "send", topics.dead_letter(topics.OUTCOMES), (), "Outcomes it can't read."),
    Operation(
        "intake",
        "receive",
        topics.dead_letter(topics.REQUESTS),
        (),
        "Counts the router's dead letters for the dashboard.",
    ),
    Operation(
        "intake",
        "receive",
        topics.dead_letter(topics.OUTCOMES),
        (),
        "Counts the dead letters of outcomes for the dashboard.",
    ),
    Operation(
        "intake",
        "receive",
        topics.dead_letter(topics.PARTIES),
        (),
        "Counts the dead letters of party records for the dashboard.",
    ),
    Operation(
        "intake",
        "send",
        topics.AUDIT_CHECKPOINTS,
        (),
        "`python -m sosa.intake.audit prune`: what it removes, before it removes it.",
    ),
    Operation(
        "intake",
        "receive",
        topics.AUDIT_CHECKPOINTS,
        (),
        "`python -m sosa.intake.audit verify`: the last prune, checked against the database.",
    ),
    Operation("router", "receive", topics.REQUESTS, (), "Decides each command (read_committed)."),
    Operation(
        "router",
        "send",
        topics.REQUESTS,
        (commands.TICK,),
        "Its response clock's reminder points and deadlines, decided like any command.",
    ),
    Operation(
        "router",
        "send",
        topics.OUTCOMES,
        (),
        "One event per change (of a request, or of a posture: `sosa.posture.changed.v1`, keyed "
        "`posture/<scope>`), in the Kafka transaction that commits the command's offset.",
    ),
    Operation("router", "send", topics.dead_letter(topics.REQUESTS), (), "Commands it can't read."),
    Operation("notifier", "receive", topics.OUTCOMES, (), "Tells each party what it needs."),
    Operation("notifier", "receive", topics.PARTIES, (), "Learns parties and their key hashes."),
    Operation("notifier", "send", topics.DELIVERIES, (), "Records every delivery attempt."),
    Operation(
        "ops",
        "receive",
        topics.DELIVERIES,
        (),
        "`sosa timeline REQUEST`: each notification attempt of the request, after its outcomes.",
    ),
    Operation(
        "notifier",
        "send",
        topics.dead_letter(topics.OUTCOMES),
        (),
        "Outcomes it cannot read or apply.",
    ),
    Operation(
        "notifier",
        "send",
        topics.dead_letter(topics.PARTIES),
        (),
        "Party records it cannot read or apply.",
    ),
)
"""Who sends and receives what (docs/architecture.md, "Topics"); the operators' tool also reads
the dead-letter topics and sends their letters back to the original topic (`sosa dlq`)."""


def _ce_type(model: type[BaseModel]) -> str:
    """The CloudEvents type of a payload model: the default of its `type` field."""
    default = model.model_fields["type"].default
    if not isinstance(default, str):
        raise TypeError(f"{model.__name__} has no `type` default")
    return default


def message_types(topic: str) -> dict[str, type[BaseModel]]:
    """The CloudEvents types carried by a topic (not a dead-letter one) and their models."""
    channel = next(c for c in CHANNELS if c.topic == topic)
    return {_ce_type(model): model for model in channel.models}


def _envelope_headers() -> tuple[list[tuple[str, bytes]], list[str]]:
    """The headers `envelope.to_kafka` writes (every attribute set), and those always written."""
    untraced = envelope.Envelope(
        id="-", type="-", source="-", subject="-", time=datetime(2000, 1, 1, tzinfo=UTC), data=b""
    )
    traced = replace(
        untraced, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    )
    always = [name for name, _ in envelope.to_kafka(untraced)[2]]
    return envelope.to_kafka(traced)[2], always


_HEADER_MEANING: Final = {
    "ce_id": "The event's id (a command's `command_id`, an outcome's `event_id`); unique per "
    "source, what consumers de-duplicate on.",
    "ce_type": "The message type, e.g. `sosa.command.submit.v1`: names the payload's schema.",
    "ce_source": "The service that produced it, e.g. `/sosa/intake`.",
    "ce_subject": "What it is about; also the Kafka key (request id, or party id).",
    "ce_time": "When it happened (RFC 3339, UTC).",
    "content-type": "The payload's media type (the CloudEvents `datacontenttype`).",
    "ce_specversion": "CloudEvents version.",
    "ce_traceparent": "W3C trace context of the work that produced it, when traced.",
}


def _envelope_headers_schema() -> dict[str, Any]:
    headers, required = _envelope_headers()
    properties: dict[str, Any] = {}
    for name, value in headers:
        prop: dict[str, Any] = {"type": "string", "description": _HEADER_MEANING.get(name, "")}
        if name in ("ce_specversion", "content-type"):
            prop["const"] = value.decode()
        if name == "ce_time":
            prop["format"] = "date-time"
        properties[name] = prop
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in Kafka binary content mode: one header "
        "each, UTF-8 strings; the JSON data is the record's value.",
        "properties": properties,
        "required": required,
    }


_PROVENANCE_MEANING: Final = {
    dead_letters.ORIGINAL_TOPIC: "The topic the record was read from (with the prefix).",
    dead_letters.ORIGINAL_PARTITION: "Its partition there (decimal).",
    dead_letters.ORIGINAL_OFFSET: "Its offset there (decimal).",
    dead_letters.ERROR: f"Why it could not be processed: error type and message, at most "
    f"{dead_letters.MAX_ERROR_CHARS} characters.",
    dead_letters.ERROR_CLASS: "The error's type alone (for example ValidationError).",
    dead_letters.CONSUMER: "The service that gave up on it (intake, router, notifier).",
}


def _dead_letter_headers_schema() -> dict[str, Any]:
    names = [
        name
        for name, _ in dead_letters.provenance_headers(
            topic="-", partition=0, offset=0, error=ValueError(), consumer="-"
        )
    ]
    properties: dict[str, Any] = {}
    for name in names:
        prop: dict[str, Any] = {"type": "string", "description": _PROVENANCE_MEANING.get(name, "")}
        if name in (dead_letters.ORIGINAL_PARTITION, dead_letters.ORIGINAL_OFFSET):
            prop["pattern"] = "^[0-9]+$"
        if name == dead_letters.ERROR:
            prop["maxLength"] = dead_letters.MAX_ERROR_CHARS
        properties[name] = prop
    return {
        "type": "object",
        "description": "The original record's headers, unchanged and in order (the CloudEvents "
        "headers when it had them), then where it came from and why it failed. A letter that "
        "failed again after a replay carries both sets; readers take the last of each name.",
        "properties": {
            **{
                name: {**prop, "description": f"As on the original record. {prop['description']}"}
                for name, prop in _envelope_headers_schema()["properties"].items()
            },
            **properties,
        },
        "required": names,
    }


def _key_schema(channel: Channel) -> dict[str, Any]:
    fields = " or, when it has none, ".join(f"the payload's `{f}`" for f in channel.key)
    fields = fields[0].upper() + fields[1:]
    return {"type": "string", "description": f"{fields} (the same as `ce_subject`)."}


def _schemas() -> dict[str, Any]:
    models = [(model, "validation") for channel in CHANNELS for model in channel.models]
    _, top = models_json_schema(models, ref_template=SCHEMAS + "{model}")  # type: ignore[arg-type]
    found: dict[str, Any] = top.get("$defs", {})
    return {
        ENVELOPE_HEADERS: _envelope_headers_schema(),
        DEAD_LETTER_HEADERS: _dead_letter_headers_schema(),
        **dict(sorted(found.items())),
    }


def _message(ce_type: str, model: type[BaseModel], channel: Channel) -> dict[str, Any]:
    return {
        "name": ce_type,
        "title": model.__name__,
        "summary": _doc(model),
        "contentType": envelope.JSON,
        "headers": {
            "allOf": [
                {"$ref": SCHEMAS + ENVELOPE_HEADERS},
                {"properties": {"ce_type": {"const": ce_type}}},
            ]
        },
        "payload": {"$ref": SCHEMAS + model.__name__},
        "bindings": {
            "kafka": {"key": _key_schema(channel), "bindingVersion": KAFKA_BINDING_VERSION}
        },
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER,
        "title": "Dead letter",
        "summary": "A record a consumer could not process, unchanged, with where it came from "
        "and why it failed in headers. `sosa dlq list` shows them, `sosa dlq replay` sends "
        "them back to the original topic.",
        "headers": {"$ref": SCHEMAS + DEAD_LETTER_HEADERS},
        "payload": {
            "description": "The original record's value, byte for byte: usually one of the "
            "original topic's messages, but it may match no schema (that can be why it is here)."
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel_bindings(topic: str) -> dict[str, Any]:
    kafka: dict[str, Any] = {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}
    if topic in topics.COMPACTED:
        kafka["topicConfiguration"] = {"cleanup.policy": ["compact"]}
    return {"kafka": kafka}


def _prefix_note(topic: str) -> str:
    return f"Address `{topic}`; a deployment prepends `SOSA_TOPIC_PREFIX` (empty by default) to it."


def _channels() -> dict[str, Any]:
    by_topic = {c.topic: c for c in CHANNELS}
    docs = topic_docs()
    result: dict[str, Any] = {}
    for topic in topics.ALL:
        if topic in by_topic:
            channel = by_topic[topic]
            keyed = " or ".join(f"`{f}`" for f in channel.key)
            compacted = " Compacted: keeps the latest record of each key." * (
                topic in topics.COMPACTED
            )
            result[topic] = {
                "address": topic,
                "title": topic,
                "summary": docs[topic],
                "description": f"Keyed by the payload's {keyed}, so one key's messages stay in "
                f"order.{compacted} {_prefix_note(topic)}",
                "messages": {
                    ce_type: {"$ref": f"#/components/messages/{ce_type}"}
                    for ce_type in message_types(topic)
                },
                "bindings": _channel_bindings(topic),
            }
        else:
            original = next((t for t in by_topic if topics.dead_letter(t) == topic), None)
            if original is None:
                raise ValueError(f"{topic} is in topics.ALL but asyncapi.CHANNELS lacks it")
            result[topic] = {
                "address": topic,
                "title": topic,
                "summary": f"Dead letters of `{original}`: the records its consumers could not "
                "process.",
                "description": f"Keyed by the original key. {_prefix_note(topic)}",
                "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
                "bindings": _channel_bindings(topic),
            }
    return result


def _operation_id(op: Operation) -> str:
    suffix = "" if not op.types or len(op.types) > 1 else "." + op.types[0].split(".")[-2]
    return f"{op.service}.{op.action}.{op.topic}{suffix}"


def _replay_operations() -> list[Operation]:
    """The operators' tool reads each dead-letter topic and replays it to the original topic."""
    result: list[Operation] = []
    for channel in CHANNELS:
        dlq = topics.dead_letter(channel.topic)
        if dlq in topics.ALL:
            result += [
                Operation("ops", "receive", dlq, (), "`sosa dlq list` and `sosa dlq replay`."),
                Operation(
                    "ops",
                    "send",
                    channel.topic,
                    (),
                    f"`sosa dlq replay` sends each letter of `{dlq}` back here, once, unchanged.",
                ),
            ]
    return result


def _operations(channels: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for op in (*OPERATIONS, *_replay_operations()):
        names: Sequence[str] = op.types or list(channels[op.topic]["messages"])
        if _operation_id(op) in result:
            raise ValueError(f"two operations are named {_operation_id(op)}")
        result[_operation_id(op)] = {
            "action": op.action,
            "channel": {"$ref": f"#/channels/{op.topic}"},
            "summary": op.summary,
            "tags": [{"name": op.service}],
            "messages": [{"$ref": f"#/channels/{op.topic}/messages/{name}"} for name in names],
        }
    return result


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as a JSON-ready dict."""
    channels = _channels()
    messages: dict[str, Any] = {}
    for channel in CHANNELS:
        for ce_type, model in message_types(channel.topic).items():
            messages[ce_type] = _message(ce_type, model, channel)
    messages[DEAD_LETTER] = _dead_letter_message()
    bootstrap = CommonSettings.model_fields["kafka_bootstrap_servers"].default
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "sosa topics",
            "version": version("sosa-contracts"),
            "description": "The Kafka topics of sosa, generated from `sosa.contracts` by "
            "`uv run python -m sosa.ops.asyncapi`; do not edit by hand. Every message is a "
            "CloudEvents 1.0 event in Kafka binary content mode (attributes in `ce_*` headers, "
            "JSON data as the value) and its Kafka key is its `ce_subject`. Topic addresses are "
            "the contract names; a deployment prepends `SOSA_TOPIC_PREFIX` to each. A schema "
            "change is backward compatible or gets a new version (a new topic or `ce_type` "
            "ending `.v2`). See docs/events.md.",
        },
        "defaultContentType": envelope.JSON,
        "servers": {
            "local": {
                "host": bootstrap,
                "protocol": "kafka",
                "description": "`make run`'s broker (`SOSA_KAFKA_BOOTSTRAP_SERVERS`).",
            }
        },
        "channels": channels,
        "operations": _operations(channels),
        "components": {"messages": messages, "schemas": _schemas()},
    }


def render() -> str:
    """The document as the committed file holds it: indented JSON, one trailing newline."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write the document to standard output."""
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
