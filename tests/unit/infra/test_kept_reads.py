"""sosa.infra.kept_reads: a read kept for its bound, shared by concurrent lookups, forgotten on
demand (a read under way when forgotten is not kept), never kept when it failed or when the
bound is 0."""

from __future__ import annotations

import asyncio

import pytest

from sosa.infra.kept_reads import KeptReads


class Source:
    """Counts reads; each read takes `value` as it is when the read starts (a snapshot), then
    waits until `release` is set before it returns it."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.reads = 0
        self.release = asyncio.Event()
        self.release.set()
        self.began = asyncio.Event()
        """Set when a read starts."""

    async def read(self) -> str:
        self.reads += 1
        self.began.set()
        snapshot = self.value
        await self.release.wait()
        return snapshot


async def test_a_value_read_is_kept_and_concurrent_lookups_share_one_read() -> None:
    kept: KeptReads[str, str] = KeptReads(60)
    source = Source("v1")
    source.release.clear()
    lookups = [asyncio.ensure_future(kept.get("k", source.read)) for _ in range(10)]
    await source.began.wait()
    source.release.set()
    assert await asyncio.gather(*lookups) == ["v1"] * 10
    source.value = "v2"
    assert await kept.get("k", source.read) == "v1"
    assert source.reads == 1


async def test_forget_drops_what_was_kept_and_what_was_being_read() -> None:
    kept: KeptReads[str, str] = KeptReads(60)
    source = Source("old")
    assert await kept.get("k", source.read) == "old"
    source.value = "new"
    kept.forget()
    assert await kept.get("k", source.read) == "new"

    source.value, source.release, source.began = "before", asyncio.Event(), asyncio.Event()
    kept.forget()
    under_way = asyncio.ensure_future(kept.get("k", source.read))
    await source.began.wait()
    kept.forget()  # the change commits while that read is under way
    source.value = "after"
    source.release.set()
    assert await under_way == "before"  # its own caller asked before the change
    assert await kept.get("k", source.read) == "after"


async def test_a_failed_read_is_not_kept_and_a_bound_of_zero_keeps_nothing() -> None:
    kept: KeptReads[str, str] = KeptReads(60)

    async def failing() -> str:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        await kept.get("k", failing)
    source = Source("v")
    assert await kept.get("k", source.read) == "v"

    nothing_kept: KeptReads[str, str] = KeptReads(0)
    assert await nothing_kept.get("k", source.read) == "v"
    assert await nothing_kept.get("k", source.read) == "v"
    assert source.reads == 3


async def test_a_value_is_read_again_once_its_bound_has_passed() -> None:
    kept: KeptReads[str, str] = KeptReads(0.05)
    source = Source("v1")
    assert await kept.get("k", source.read) == "v1"
    source.value = "v2"
    await asyncio.sleep(0.1)
    assert await kept.get("k", source.read) == "v2"
