"""`GET /v1/stream`: server-sent events of what the calling party is told, resumable.

Each event's `id` is its number in the party's stream; a client that reconnects with
`Last-Event-ID` (header, or `last_event_id` where headers cannot be set) gets exactly the events
after it, with no gap and no repeat. Without one, the stream starts with the next event. An id
that is no such number (not an integer, negative, past the largest the stream can hold) is a 422
naming it, before the stream starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Header, Query
from pydantic import Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from sosa.infra.problem_docs import problems
from sosa.notifier import stream
from sosa.notifier.api.caller import CallerDep, RuntimeDep
from sosa.notifier.runtime import Runtime

router = APIRouter(tags=["stream"])
LAST_SEQ: Final = 2**63 - 1
"""The largest event number: `stream_events.seq` is a BIGINT."""
EventNumber = Annotated[int, Field(ge=0, le=LAST_SEQ)]


@router.get(
    "/stream",
    summary="Live stream (SSE) of the calling party's notifications",
    response_class=EventSourceResponse,
    # only before the stream starts: once it has, a failure ends it (the client resumes)
    responses=problems(422, 503),
)
async def live_stream(
    rt: RuntimeDep,
    caller: CallerDep,
    last_event_id_header: Annotated[
        EventNumber | None,
        Header(
            alias="Last-Event-ID",
            description="The `id` of the last event received: the stream resumes after it.",
        ),
    ] = None,
    last_event_id: Annotated[
        EventNumber | None,
        Query(description="The same, for clients that cannot set headers; the header wins."),
    ] = None,
) -> EventSourceResponse:
    party = caller.party_id
    resume = last_event_id_header if last_event_id_header is not None else last_event_id
    if resume is not None:
        start = resume
    else:
        async with rt.sessions() as session:
            start = await stream.latest(session, party)
    return EventSourceResponse(_events(rt, party, start), ping=int(rt.settings.stream_ping_s))


async def _events(rt: Runtime, party: str, last: int) -> AsyncIterator[ServerSentEvent]:
    while True:
        async with rt.sessions() as session:
            rows = await stream.after(session, party, last)
        for row in rows:
            last = row.seq
            yield ServerSentEvent(data=row.payload, event=row.event_type, id=str(row.seq))
        if not rows:
            await asyncio.sleep(rt.settings.stream_poll_s)
