"""What the operations dashboard shows, read from intake's views with the API's own access rule
(`access.visible`): an operator counts every request, any other party only those it may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.states import RequestState
from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import rollup_reads
from sosa.intake.insights.rollup_reads import Chosen
from sosa.intake.views import access
from sosa.intake.views.models import LOCAL_DEADLINE, with_local_deadline
from sosa.intake.views.rollup_keys import NO_ANSWER_AWAITED
from sosa.rules import WorkingCalendar, end_of_working_day

_views = tables.request_views
EASTERN = ZoneInfo("America/New_York")
"""DPAS deadlines end at 23:59:59 Eastern (decision records show them so)."""
ANSWERED = NO_ANSWER_AWAITED
"""States in which no answer is awaited any more (overdue is counted on its own)."""
LISTED = 20


class PartyRow(BaseModel):
    party_id: str
    total: int
    open: int = Field(description="Not yet answered, cancelled or rejected.")
    overdue: int


class DueRequest(BaseModel):
    """A request due soon or overdue."""

    request_id: str
    state: RequestState
    requester: str
    supplier: str
    rating: str | None
    deadline: AwareDatetime
    deadline_local: str | None = Field(default=None, description=LOCAL_DEADLINE)
    supplier_timezone: str = Field(default="", description="The supplier's IANA time zone.")

    @model_validator(mode="before")
    @classmethod
    def _in_the_supplier_s_zone(cls, data: Any) -> Any:
        return with_local_deadline(data)


class Summary(BaseModel):
    """The dashboard's tables, over the requests the caller may see."""

    as_of: AwareDatetime
    total: int
    by_state: dict[str, int]
    by_path: dict[str, int] = Field(description="`undecided` for requests without a path yet.")
    overdue: list[DueRequest] = Field(description=f"The {LISTED} most overdue.")
    overdue_count: int
    due_within_working_days: int
    due_by: AwareDatetime = Field(
        description="End (23:59:59 Eastern) of the N-th US federal working day after today."
    )
    due_soon: list[DueRequest] = Field(description=f"The {LISTED} due first before `due_by`.")
    due_soon_count: int
    by_requester: list[PartyRow]
    by_supplier: list[PartyRow]


async def summary(
    session: AsyncSession,
    caller: Caller,
    *,
    now: datetime,
    working_days: int,
    calendar: WorkingCalendar,
) -> Summary:
    seen = access.visible(caller)
    everything = Chosen(caller)
    by_state = await _totals(session, everything, "state")
    by_path = await _totals(session, everything, "path")
    horizon = end_of_working_day(now, working_days, zone=EASTERN, calendar=calendar)
    overdue = _views.c.state == RequestState.OVERDUE
    due_soon = (
        _views.c.state.not_in(ANSWERED) & (_views.c.deadline > now) & (_views.c.deadline <= horizon)
    )
    return Summary(
        as_of=now,
        total=sum(by_state.values()),
        by_state=by_state,
        by_path=by_path,
        overdue=await _listed(session, seen & overdue),
        overdue_count=by_state.get(RequestState.OVERDUE, 0),
        due_within_working_days=working_days,
        due_by=horizon,
        due_soon=await _listed(session, seen & due_soon),
        due_soon_count=await _count(session, seen & due_soon),
        by_requester=await _per_party(session, everything, "requester"),
        by_supplier=await _per_party(session, everything, "supplier"),
    )


async def _totals(session: AsyncSession, everything: Chosen, dimension: str) -> dict[str, int]:
    """Requests per state or per path, from the roll-ups (`rollup_reads`)."""
    grouped = await rollup_reads.grouped(session, everything, dimension)
    return {key: counts["requests"] for key, counts in sorted(grouped.items())}


async def _count(session: AsyncSession, where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(_views).where(where)) or 0)


async def _listed(session: AsyncSession, where: ColumnElement[bool]) -> list[DueRequest]:
    rows = await session.execute(
        select(
            _views.c.request_id,
            _views.c.state,
            _views.c.requester,
            _views.c.supplier,
            _views.c.rating,
            _views.c.deadline,
            _views.c.details["supplier"]["timezone"].as_string().label("supplier_timezone"),
        )
        .where(where, _views.c.deadline.is_not(None))
        .order_by(_views.c.deadline, _views.c.request_id)
        .limit(LISTED)
    )
    return [DueRequest.model_validate(row._mapping) for row in rows]


PARTIES_LISTED = 100


async def _per_party(session: AsyncSession, everything: Chosen, dimension: str) -> list[PartyRow]:
    """The requesters or suppliers with the most requests, from the roll-ups."""
    grouped = await rollup_reads.grouped(session, everything, dimension)
    busiest = sorted(grouped.items(), key=lambda item: (-item[1]["requests"], item[0]))
    return [
        PartyRow(party_id=key, total=c["requests"], open=c["open"], overdue=c["overdue"])
        for key, c in busiest[:PARTIES_LISTED]
    ]
