"""Reading one request back: its view with the whole timeline, and the status of its commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import outcomes
from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.views import access
from sosa.intake.views.links import command_link, request_link
from sosa.intake.views.models import CommandStatus, RequestView, TimelineEntry
from sosa.intake.views.timeline import timeline_entry

_timeline = tables.request_timeline


async def load_view(session: AsyncSession, request_id: str) -> RequestView | None:
    """One request with its timeline, or None when intake has never accepted it."""
    view = (
        await session.execute(
            select(tables.request_views).where(tables.request_views.c.request_id == request_id)
        )
    ).one_or_none()
    if view is None:
        return None
    # Two statements see two snapshots: an outcome committed between them would show in the
    # timeline but not in the view. Cutting the timeline at the view's sequence keeps both of
    # one moment, since a view and its events commit together.
    timeline = await _entries(session, request_id, up_to=view.last_sequence)
    return RequestView.model_validate(
        {**view._mapping, "links": {"self": request_link(request_id)}, "timeline": timeline}
    )


async def visible_view(
    session: AsyncSession, caller: Caller, request_id: str
) -> RequestView | None:
    """`load_view`, or None when the caller may not see the request (`access.sees`): the API
    answers both with the same 404."""
    return (
        await load_view(session, request_id)
        if await access.sees(session, caller, request_id)
        else None
    )


async def load_command(
    session: AsyncSession, request_id: str, command_id: str
) -> CommandStatus | None:
    """A command intake accepted for this request and the outcomes it caused so far."""
    command = (
        await session.execute(
            select(tables.commands)
            .where(tables.commands.c.command_id == command_id)
            .where(tables.commands.c.request_id == request_id)
        )
    ).one_or_none()
    if command is None:
        return None
    caused = await _entries(session, request_id, caused_by=command_id)
    refused = any(e.type == outcomes.REFUSED for e in caused)
    return CommandStatus(
        command_id=command_id,
        request_id=request_id,
        command_type=command.command_type,
        received_at=command.received_at,
        status="refused" if refused else "applied" if caused else "pending",
        body=command.body,
        outcomes=caused,
        links={"self": command_link(request_id, command_id), "request": request_link(request_id)},
    )


async def _entries(
    session: AsyncSession,
    request_id: str,
    *,
    caused_by: str | None = None,
    up_to: int | None = None,
) -> list[TimelineEntry]:
    statement = select(_timeline).where(_timeline.c.request_id == request_id)
    if up_to is not None:
        statement = statement.where(_timeline.c.sequence <= up_to)
    if caused_by is not None:
        statement = statement.where(_timeline.c.caused_by == caused_by)
    rows = (await session.execute(statement.order_by(_timeline.c.sequence))).all()
    return [timeline_entry(row._mapping) for row in rows]
