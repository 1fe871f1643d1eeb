"""The rows of an accepted command: its own, and the outbox row that carries it to the router."""

from __future__ import annotations

from typing import Any, Final

from sosa.contracts import envelope, topics
from sosa.contracts.commands import COMMAND_TYPES, Command
from sosa.infra import tracing
from sosa.infra.outbox import outbox_row

TYPE_OF: Final[dict[type[Command], str]] = {model: name for name, model in COMMAND_TYPES.items()}
"""The CloudEvents type of each command model."""


def command_rows(command: Command, *, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `commands` row and the `outbox` row of `command`: it is accepted when both commit,
    and the relay publishes it afterwards, keyed by its request so that it keeps its order.
    The command carries the trace of the HTTP request that made it (its `traceparent`)."""
    event_type = TYPE_OF[type(command)]
    message = envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=event_type,
        source=source,
        subject=command.request_id,
        time=command.received_at,
        traceparent=tracing.current_traceparent(),
    )
    row = {
        "command_id": command.command_id,
        "request_id": command.request_id,
        "command_type": event_type,
        "body": command.model_dump(mode="json"),
        "received_at": command.received_at,
    }
    return row, outbox_row(topics.REQUESTS, message)
