"""Accepting a submission: command, outbox row and first view row, in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState
from sosa.intake import tables
from sosa.intake.command_log import record_command
from sosa.intake.links import request_link
from sosa.intake.ratings import stored_rating
from sosa.intake.schemas import SubmissionAccepted


async def accept_submission(
    session: AsyncSession, details: PriorityRequestDetails, *, now: datetime, source: str
) -> SubmissionAccepted:
    """Store a new request's submit command and queue it for the router; the caller commits."""
    command = commands.SubmitRequest(
        command_id=str(uuid.uuid4()), request_id=str(uuid.uuid4()), received_at=now, details=details
    )
    await record_command(session, command, source=source)
    # the view starts as `received` so that the request can be read back at once; from here on
    # only outcome events move it
    rating = stored_rating(details.rating)
    await session.execute(
        tables.request_views.insert().values(
            request_id=command.request_id,
            state=RequestState.RECEIVED,
            path=None,
            requester=details.requester.party_id,
            supplier=details.supplier.party_id,
            rating=rating.text,
            rating_level=rating.level,
            details=details.model_dump(mode="json"),
            decision=None,
            deadline=None,
            required_delivery_date=earliest_date(details.required_delivery_dates),
            rated_at=None,
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
        links={"self": request_link(command.request_id)},
    )


def earliest_date(texts: Iterable[str]) -> date | None:
    """The earliest of the required delivery dates that are ISO dates; until the router's
    decision gives the dates it accepted, the view schedules by these."""
    dates = []
    for text in texts:
        try:
            dates.append(date.fromisoformat(text.strip()))
        except ValueError:
            continue  # "ASAP" and the like: the rules will say why that is no date
    return min(dates, default=None)
