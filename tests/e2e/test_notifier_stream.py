# ruff: noqa: F811 - pytest fixtures imported from notifier_support are parameters here
"""`GET /v1/stream`: a party's live stream resumes after a reconnect with `Last-Event-ID`,
with no event missing and none repeated, and shows the party only what it may see."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.notifier_support import (  # noqa: F401 - fixtures among them
    Launch,
    Outcomes,
    launch_notifier,
    read_stream,
    routed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


async def test_the_stream_resumes_after_a_reconnect_without_gaps_or_duplicates(
    launch_notifier: Launch,
) -> None:
    stack = await launch_notifier()
    request_id = "req-stream-1"
    events = [routed(request_id=request_id, sequence=n) for n in range(1, 6)]
    async with Outcomes(stack) as topic:
        await topic.publish(*events[:2], routed(requester="someone-else", supplier="elsewhere"))
        first = await read_stream(stack, "dod-navsea", 2, last_event_id="0")

        # reconnect from the last id seen; one event arrives while connected, two were missed
        await topic.publish(events[2])
        reader = asyncio.create_task(
            read_stream(stack, "dod-navsea", 3, last_event_id=first[-1].id)
        )
        await asyncio.sleep(1)
        await topic.publish(*events[3:])
        second = await reader

    seen = first + second
    assert [e.id for e in seen] == ["1", "2", "3", "4", "5"]
    assert [e.data["data"]["sequence"] for e in seen] == [1, 2, 3, 4, 5]
    assert {e.data["data"]["request_id"] for e in seen} == {request_id}
    assert {e.event for e in seen} == {"request.routed"}


async def test_a_new_connection_starts_with_the_next_event(launch_notifier: Launch) -> None:
    stack = await launch_notifier()
    async with Outcomes(stack) as topic:
        await topic.publish(routed(request_id="req-old"))
        await read_stream(stack, "dod-navsea", 1, last_event_id="0")  # it is in the stream
        reader = asyncio.create_task(read_stream(stack, "dod-navsea", 1))
        await asyncio.sleep(1)
        await topic.publish(routed(request_id="req-new"))
        (event,) = await reader
    assert event.data["data"]["request_id"] == "req-new"
    assert event.id == "2"
