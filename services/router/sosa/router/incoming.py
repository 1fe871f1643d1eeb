"""A command as the router reads it off `sosa.requests.v1`."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord

from sosa.contracts import commands
from sosa.contracts.envelope import Envelope, from_kafka


@dataclass(frozen=True, slots=True)
class Incoming:
    """A command as the router reads it: its envelope and its validated payload."""

    message: Envelope
    command: commands.Command


def read_command(record: ConsumerRecord[bytes, bytes]) -> Incoming:
    """The command `record` holds; raises (a dead letter) when it is none: not our envelope,
    an unknown type, data off the type's schema, or an id or subject that is not the command's
    own (the inbox keys on the envelope's id, the partition on its subject)."""
    message = from_kafka(record.value or b"", list(record.headers))
    command = commands.parse_command(message.type, message.data)
    if message.id != command.command_id:
        raise ValueError(f"ce_id {message.id!r} is not the command's own {command.command_id!r}")
    if message.subject != command.request_id:
        raise ValueError(
            f"subject {message.subject!r} is not the command's own {command.request_id!r}"
        )
    return Incoming(message, command)
