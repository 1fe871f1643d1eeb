"""Accepting a submission: command, outbox row and first view row, in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands, envelope, topics
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState
from sosa.infra.outbox import outbox_row
from sosa.intake import tables
from sosa.intake.schemas import SubmissionAccepted


async def accept_submission(
    session: AsyncSession, details: PriorityRequestDetails, *, now: datetime, source: str
) -> SubmissionAccepted:
    """Store a new request's submit command and queue it for the router; the caller commits."""
    command = commands.SubmitRequest(
        command_id=str(uuid.uuid4()), request_id=str(uuid.uuid4()), received_at=now, details=details
    )
    message = envelope.wrap(
        command,
        event_id=command.command_id,
        event_type=command.type,
        source=source,
        subject=command.request_id,
        time=now,
    )
    await session.execute(
        tables.commands.insert().values(
            command_id=command.command_id,
            request_id=command.request_id,
            command_type=command.type,
            body=command.model_dump(mode="json"),
            received_at=now,
        )
    )
    await session.execute(tables.outbox.insert().values(outbox_row(topics.REQUESTS, message)))
    await session.execute(
        tables.request_views.insert().values(
            request_id=command.request_id,
            state=RequestState.RECEIVED,
            path=None,
            requester=details.requester.party_id,
            supplier=details.supplier.party_id,
            rating=details.rating,
            details=details.model_dump(mode="json"),
            decision=None,
            last_sequence=0,
            received_at=now,
            updated_at=now,
        )
    )
    return SubmissionAccepted(
        request_id=command.request_id,
        command_id=command.command_id,
        state=RequestState.RECEIVED,
        received_at=now,
        links={"self": f"/v1/priority-requests/{command.request_id}"},
    )
