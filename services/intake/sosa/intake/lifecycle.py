"""Accepting the commands that follow a submission: respond, amend, cancel, determine, authorize.

Intake checks their syntax (the body models) and that it accepted the request they name; whether
the request's state, the acting party or a reason code allow them is the router's to decide, and
it answers a command that does not fit with a `CommandRefused` outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final, TypeAlias

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands
from sosa.intake import tables
from sosa.intake.command_log import TYPE_OF, record_command
from sosa.intake.links import command_link, request_link
from sosa.intake.schemas import CommandAccepted

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


async def accept_command(
    session: AsyncSession,
    request_id: str,
    details: LifecycleDetails,
    *,
    now: datetime,
    source: str,
) -> CommandAccepted | None:
    """Store the command for a request intake knows, in the caller's transaction; None (and
    nothing stored) when intake never accepted a request with that id."""
    known = (
        await session.execute(
            select(tables.request_views.c.request_id).where(
                tables.request_views.c.request_id == request_id
            )
        )
    ).scalar_one_or_none()
    if known is None:
        return None
    command = build_command(request_id, details, command_id=str(uuid.uuid4()), now=now)
    await record_command(session, command, source=source)
    return CommandAccepted(
        request_id=request_id,
        command_id=command.command_id,
        command_type=TYPE_OF[type(command)],
        received_at=now,
        links={
            "self": command_link(request_id, command.command_id),
            "request": request_link(request_id),
        },
    )
