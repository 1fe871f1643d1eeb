"""The delivery log's relay woken at a pace (`sosa.notifier.relay_pace`): a run of wakes is
folded into one, and a wake after that run wakes the relay again."""

from __future__ import annotations

import asyncio

from sosa.notifier.relay_pace import paced


async def test_a_run_of_wakes_wakes_the_relay_once_and_a_later_one_again() -> None:
    woken = asyncio.Event()
    calls: list[int] = []

    def wake() -> None:
        calls.append(1)
        woken.set()

    call = paced(wake, pace_s=0.01)
    for _ in range(20):
        call()
    assert calls == [], "not before the pace"
    await woken.wait()
    woken.clear()
    call()
    await woken.wait()
    await asyncio.sleep(0.05)  # nothing else was pending
    assert calls == [1, 1]
