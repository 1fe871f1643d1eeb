"""What the router's integration tests share besides their fixtures (conftest.py): commands
wrapped as the router receives them."""

from __future__ import annotations

from sosa.contracts import commands, envelope


def message(command: commands.Command) -> envelope.Envelope:
    """`command` as the router receives it: a CloudEvent whose id is the command id."""
    return envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=str(command.type),  # type: ignore[attr-defined]
        source="/test",
        subject=command.request_id,
        time=command.received_at,
    )
