"""`GET /v1/stream`: server-sent events of what the calling party is told, resumable.

Each event's `id` is its number in the party's stream; a client that reconnects with
`Last-Event-ID` (header, or `last_event_id` where headers cannot be set) gets exactly the events
after it, with no gap and no repeat. Without one, the stream starts with the next event. An id
that is no such number (not an integer, negative, past the largest the stream can hold) is a 422
naming it, before the stream starts.

A party holds at most `stream_max_per_party` streams open on one notifier process; one more is a
429 with Retry-After. An open stream checks its credential again every `stream_recheck_s`: once
its key is revoked, its party disabled or its token expired, the stream ends (a reconnect then
gets 401).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from sosa.infra import auth
from sosa.infra.problem_docs import problems
from sosa.notifier import stream
from sosa.notifier.api.caller import CallerDep, RuntimeDep
from sosa.notifier.runtime import Runtime
from sosa.notifier.stream_slots import StreamSlot

log = logging.getLogger(__name__)
router = APIRouter(tags=["stream"])
LAST_SEQ: Final = 2**63 - 1
"""The largest event number: `stream_events.seq` is a BIGINT."""
EventNumber = Annotated[int, Field(ge=0, le=LAST_SEQ)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(auth.bearer)]


@router.get(
    "/stream",
    summary="Live stream (SSE) of the calling party's notifications",
    response_class=EventSourceResponse,
    # only before the stream starts: once it has, a failure ends it (the client resumes)
    responses=problems(422, 429, 503),
)
async def live_stream(
    request: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    credentials: Credentials,
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
    slot = rt.stream_slots.take(party, rt.settings.stream_max_per_party)
    if slot is None:
        raise HTTPException(
            429,
            f"party {party} has {rt.settings.stream_max_per_party} live streams open already",
            # by then the keep-alive ping has found a stream whose client went away
            headers={"Retry-After": str(max(1, int(rt.settings.stream_ping_s)))},
        )
    try:
        resume = last_event_id_header if last_event_id_header is not None else last_event_id
        if resume is not None:
            start = resume
        else:
            async with rt.sessions() as session:
                start = await stream.latest(session, party)
    except BaseException:
        slot.release()
        raise
    authenticator: auth.Authenticator = request.app.state.authenticator
    credential = credentials.credentials if credentials is not None else ""

    async def still_valid() -> bool:
        return await authenticator.still_valid(credential)

    return EventSourceResponse(
        _events(rt, party, start, still_valid=still_valid, slot=slot),
        ping=int(rt.settings.stream_ping_s),
        # the generator's own `finally` gives the slot back too; this covers one never started
        background=BackgroundTask(slot.release),
    )


async def _events(
    rt: Runtime,
    party: str,
    last: int,
    *,
    still_valid: Callable[[], Awaitable[bool]],
    slot: StreamSlot,
) -> AsyncIterator[ServerSentEvent]:
    try:
        checked = time.monotonic()
        while True:
            if time.monotonic() - checked >= rt.settings.stream_recheck_s:
                if not await still_valid():
                    log.info("live stream of party %s ended: its credential no longer holds", party)
                    return
                checked = time.monotonic()
            async with rt.sessions() as session:
                rows = await stream.after(session, party, last)
            for row in rows:
                last = row.seq
                yield ServerSentEvent(data=row.payload, event=row.event_type, id=str(row.seq))
            if not rows:
                await asyncio.sleep(rt.settings.stream_poll_s)
    finally:
        slot.release()
