# ruff: noqa: F811 - the pytest fixture imported from test_notifier_clock is a parameter here
"""A disabled party's deliveries are paused, on the real database with a movable clock: neither
attempted nor escalated however much time passes, and resumed when the party is enabled."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.notifier import escalation, tables
from tests.integration.notifier.conftest import MovableClock
from tests.integration.notifier.test_notifier_clock import (  # noqa: F401 - a fixture among them
    SETTINGS,
    failing_receiver,
    one_routed_delivery,
    statuses,
)

pytestmark = [pytest.mark.db]


async def set_disabled(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock, disabled: bool
) -> None:
    """What the party copy writes when `sosa.parties.v1` says acme is (no longer) disabled."""
    p = tables.parties
    async with sessions() as session, session.begin():
        changed = await session.execute(
            update(p).where(p.c.party_id == "acme").values(disabled=disabled)
        )
        if not getattr(changed, "rowcount", 0):
            await session.execute(
                p.insert().values(
                    party_id="acme", roles=["supplier"], disabled=disabled, updated_at=clock.now()
                )
            )


async def test_a_disabled_partys_deliveries_wait_and_resume_when_it_is_enabled(
    sessions: async_sessionmaker[AsyncSession],
    clock: MovableClock,
    failing_receiver: tuple[str, list[int]],
) -> None:
    url, _ = failing_receiver
    await set_disabled(sessions, clock, False)
    async with one_routed_delivery(sessions, clock, url) as attempt:
        assert await attempt() == 1  # HTTP 500: the next attempt is 5 s away
        await set_disabled(sessions, clock, True)
        clock.advance(days=2, seconds=10)  # retry due, and less than 24 h before the deadline
        assert await attempt() == 0
        async with sessions() as session, session.begin():
            assert await escalation.escalate_due(session, SETTINGS, clock.now()) == 0
        clock.advance(days=30)  # long past the deadline: still kept, not given up on
        assert await attempt() == 0
        assert await statuses(sessions) == {"webhook": ("pending", 1)}

        await set_disabled(sessions, clock, False)
        async with sessions() as session, session.begin():
            assert await escalation.escalate_due(session, SETTINGS, clock.now()) == 1
        assert await attempt() >= 1  # the webhook (500 again) and its escalated e-mail copy
        assert (await statuses(sessions))["webhook"] == ("pending", 2)
