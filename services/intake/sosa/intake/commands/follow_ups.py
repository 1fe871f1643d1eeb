"""Accepting the commands that follow a submission: respond, amend, cancel, determine, authorize.

Intake checks their syntax (the body models) and, at its edge, that the caller may act on the
request they name (`access.check_command`, which also finds requests it never accepted); whether
the request's state, the acting party or a reason code allow them is the router's to decide, and
it answers a command that does not fit with a `CommandRefused` outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final, TypeAlias

from sosa.contracts import commands
from sosa.infra.auth import Caller
from sosa.intake import audit
from sosa.intake.commands.answers import CommandAccepted
from sosa.intake.commands.command_log import TYPE_OF, command_rows
from sosa.intake.commands.idempotency import Key, key_row
from sosa.intake.commands.writes import Write
from sosa.intake.views.links import command_link, request_link

LifecycleDetails: TypeAlias = (
    commands.SupplierResponseDetails
    | commands.AmendmentDetails
    | commands.CancellationDetails
    | commands.DeterminationDetails
    | commands.AuthorizationDetails
)


CARRIERS: Final[dict[type[LifecycleDetails], tuple[type[commands.Command], str]]] = {
    commands.SupplierResponseDetails: (commands.RespondToRequest, "response"),
    commands.AmendmentDetails: (commands.AmendRequest, "amendment"),
    commands.CancellationDetails: (commands.CancelRequest, "cancellation"),
    commands.DeterminationDetails: (commands.RecordDetermination, "determination"),
    commands.AuthorizationDetails: (commands.RecordAuthorization, "authorization"),
}
"""Which command carries each kind of details, and in which field."""


def build_command(
    request_id: str, details: LifecycleDetails, *, command_id: str, now: datetime
) -> commands.Command:
    """The command that carries `details` to the router."""
    model, field = CARRIERS[type(details)]
    return model.model_validate(
        {"command_id": command_id, "request_id": request_id, "received_at": now, field: details}
    )


def command_write(
    request_id: str,
    details: LifecycleDetails,
    *,
    caller: Caller,
    key: Key | None,
    now: datetime,
    source: str,
) -> Write[CommandAccepted]:
    """The rows of a command for a request intake accepted: the command, its outbox row, the
    idempotency key and the audit entry (`writes.Write`)."""
    command = build_command(request_id, details, command_id=str(uuid.uuid4()), now=now)
    command_type = TYPE_OF[type(command)]
    answer = CommandAccepted(
        request_id=request_id,
        command_id=command.command_id,
        command_type=command_type,
        received_at=now,
        links={
            "self": command_link(request_id, command.command_id),
            "request": request_link(request_id),
        },
    )
    command_row, outbox_row = command_rows(command, source=source)
    return Write(
        answer=answer,
        command=command_row,
        outbox=outbox_row,
        key=key_row(
            key,
            party_id=caller.party_id,
            body=details,
            answer=answer,
            location=answer.links["self"],
            now=now,
        ),
        audit=audit.Entry(
            at=now,
            actor=caller.party_id,
            kind=f"command:{command_type}",
            request_id=request_id,
            details={"command_id": command.command_id, "via": caller.via},
        ),
    )
