"""The outbox relay's producer: one whose send failed is replaced before the next attempt.

aiokafka's idempotent producer does not get over a batch that expired while the broker was
away: the gap it leaves in the sequence numbers stops the producer's sender, and every later
send fails with OutOfOrderSequenceNumber. The fault suite's broker outage caught a relay stuck
that way for good, its outbox never drained.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber
from sqlalchemy import MetaData

from sosa.infra import kafka
from sosa.infra.outbox import OutboxRelay, outbox_table
from sosa.infra.settings import CommonSettings


class FakeProducer:
    def __init__(self, client_id: str, *, broken: bool = False) -> None:
        self.client = SimpleNamespace(_client_id=client_id)
        self.broken = broken
        self.sent: list[bytes] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, value: bytes, **_: Any) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.broken:
            done.set_exception(OutOfOrderSequenceNumber())
        else:
            self.sent.append(value)
            done.set_result(None)
        return done


def row(n: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=n,
        topic="sosa.requests.v1",
        event_id=f"e{n}",
        event_type="sosa.command.submit.v1",
        source="/test",
        subject="r1",
        time=datetime(2026, 11, 25, tzinfo=UTC),
        data=b"{}",
        traceparent=None,
    )


async def test_a_failed_send_gets_the_next_attempt_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[FakeProducer] = []

    def producer(_: CommonSettings, *, client_id: str) -> FakeProducer:
        made.append(FakeProducer(client_id))
        return made[-1]

    monkeypatch.setattr(kafka, "producer", producer)
    spoiled = FakeProducer("sosa-intake-relay", broken=True)
    relay = OutboxRelay(
        None,  # type: ignore[arg-type] - _send touches no database
        outbox_table(MetaData()),
        spoiled,  # type: ignore[arg-type]
        CommonSettings(),
        lock_id=1,
    )
    with pytest.raises(OutOfOrderSequenceNumber):
        await relay._send([row(1)])
    assert relay.producer is spoiled  # replaced when next needed, not in the failure's path
    await relay._send([row(1), row(2)])
    assert spoiled.stopped
    assert [p.client._client_id for p in made] == ["sosa-intake-relay"]
    assert made[0].started
    assert relay.producer is made[0]
    assert len(made[0].sent) == 2
    await relay._send([row(3)])
    assert len(made) == 1  # a producer that works is kept
