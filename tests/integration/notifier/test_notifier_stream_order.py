"""A party's stream numbers its events in commit order, so a reader never skips a late commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.notifier import stream
from sosa.notifier.messages import Message

pytestmark = [pytest.mark.db]
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def message(message_id: str) -> Message:
    return Message(message_id, "request.routed", "r1", NOW, "requester", {"n": message_id}, ["n"])


async def test_a_second_writer_waits_for_the_first_and_numbers_after_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as first:
        _ = await first.begin()
        await stream.append(first, "p", message("a"), now=NOW)  # holds the party's counter

        async def second_writer() -> None:
            async with sessions() as second, second.begin():
                await stream.append(second, "p", message("b"), now=NOW)

        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second writer waits for the first to commit"
        async with sessions() as reader:
            assert list(await stream.after(reader, "p", 0)) == []
        await first.commit()
    await waiting
    async with sessions() as reader:
        rows = await stream.after(reader, "p", 0)
    assert [(row.seq, row.payload) for row in rows] == [
        (1, message("a").payload()),
        (2, message("b").payload()),
    ]


async def test_a_redelivered_message_is_not_streamed_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for _ in range(2):
        async with sessions() as session, session.begin():
            await stream.append(session, "p", message("a"), now=NOW)
    async with sessions() as reader:
        assert [row.seq for row in await stream.after(reader, "p", 0)] == [1]
        assert await stream.latest(reader, "p") == 1
