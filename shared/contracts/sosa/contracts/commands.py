"""Commands carried on `sosa.requests.v1`, from intake to the router."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from sosa.contracts.requests import PriorityRequestDetails

SUBMIT: Final = "sosa.command.submit.v1"


class Command(BaseModel):
    """Fields every command has. `command_id` is also the CloudEvents id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    command_id: str
    request_id: str
    received_at: AwareDatetime


class SubmitRequest(Command):
    """A requester submits a new priority-support request."""

    type: Literal["sosa.command.submit.v1"] = SUBMIT
    details: PriorityRequestDetails


COMMAND_TYPES: Final[dict[str, type[Command]]] = {SUBMIT: SubmitRequest}


def parse_command(event_type: str, data: bytes) -> Command:
    """Build the command model named by a CloudEvents type from its JSON data."""
    try:
        model = COMMAND_TYPES[event_type]
    except KeyError:
        raise ValueError(f"unknown command type {event_type!r}") from None
    return model.model_validate_json(data)
