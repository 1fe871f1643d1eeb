"""A posture change in the notifier, on PostgreSQL and SQLite: stored, and the pending deliveries
about a response clock that it covers are handed to the second channel earlier (deadline minus
the margin divided by the posture's factor), never later and never before now; a partner with a
posture of its own is left alone by a global change; and the retry factor is the one in force."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa import rules
from sosa.contracts import posture
from sosa.notifier import postures, tables
from tests.integration.notifier.conftest import MovableClock

MARGIN = timedelta(hours=24)
BOOK = rules.PostureBook.default()


def change(scope: str, name: str, at: datetime) -> posture.PostureChanged:
    return posture.PostureChanged(
        event_id=f"posture-{scope}-{name}",
        scope=scope,
        posture=name,  # type: ignore[arg-type]
        previous="peacetime",
        reason="exercise",
        set_by="sosa-operators",
        effective_at=at,
        settings=BOOK.settings[rules.Posture(name)].to_dict(),
        replanned=0,
        caused_by="cmd",
        occurred_at=at,
    )


async def pending(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    rows: dict[str, tuple[str | None, timedelta, timedelta | None]],
) -> None:
    """delivery id -> (partner, deadline from now, escalation point from now or none)."""
    async with sessions() as session, session.begin():
        for delivery_id, (partner, deadline_in, escalate_in) in rows.items():
            await session.execute(
                tables.deliveries.insert().values(
                    delivery_id=delivery_id,
                    event_id=f"e-{delivery_id}",
                    party_id="acme-valves",
                    event_type="sosa.request.transitioned.v1",
                    payload="{}",
                    status="pending",
                    created_at=now,
                    deadline=now + deadline_in,
                    escalate_at=now + escalate_in if escalate_in is not None else None,
                    partner_country=partner,
                )
            )


async def escalation_points(sessions: async_sessionmaker[AsyncSession]) -> dict[str, datetime]:
    d = tables.deliveries
    async with sessions() as session:
        found = await session.execute(select(d.c.delivery_id, d.c.escalate_at))
        return dict(found.all())


async def apply(
    sessions: async_sessionmaker[AsyncSession], now: datetime, *changes: posture.PostureChanged
) -> dict[str, postures.Factors]:
    async with sessions() as session, session.begin():
        await postures.apply_changes(session, changes, now=now, escalation_margin=MARGIN)
        return await postures.in_force(session)


async def test_a_change_moves_the_escalation_of_what_it_covers_earlier_only(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock
) -> None:
    now = clock.now()
    await pending(
        sessions,
        now,
        {
            "us-order": (None, timedelta(days=5), timedelta(days=4)),  # global scope
            "in-order": ("IN", timedelta(days=5), timedelta(days=4)),  # India's own posture
            "jp-order": ("JP", timedelta(days=5), None),  # no escalation planned yet
            "soon": (None, timedelta(days=5), timedelta(hours=1)),  # already sooner
            "close": (None, timedelta(hours=30), timedelta(hours=6)),  # margin reaches past now
        },
    )
    # India first: armed conflict (factor 0.25, margin 96 h); then global emergency (0.5, 48 h)
    factors = await apply(
        sessions, now, change("IN", "armed_conflict", now), change("global", "emergency", now)
    )
    assert factors == {
        "IN": postures.Factors(0.25, 0.25),
        "global": postures.Factors(0.5, 0.5),
    }
    points = await escalation_points(sessions)
    assert points["us-order"] == now + timedelta(days=5) - timedelta(hours=48)
    assert points["jp-order"] == now + timedelta(days=5) - timedelta(hours=48)
    assert points["in-order"] == now + timedelta(days=5) - timedelta(hours=96)  # not global's
    assert points["soon"] == now + timedelta(hours=1)  # never later
    assert points["close"] == now  # 30 h - 48 h is past: moved to now, no further back


async def test_the_retry_factor_is_the_partner_s_own_else_the_global_one(
    sessions: async_sessionmaker[AsyncSession], clock: MovableClock
) -> None:
    now = clock.now()
    factors = await apply(sessions, now, change("global", "emergency", now))
    assert postures.for_partner(factors, "IN").retry_interval == 0.5
    factors = await apply(sessions, now, change("IN", "peacetime", now))
    assert postures.for_partner(factors, "IN").retry_interval == 1.0  # India's own
    assert postures.for_partner(factors, "JP").retry_interval == 0.5
    assert postures.for_partner(factors, None).retry_interval == 0.5
    assert postures.for_partner({}, "JP") == postures.PEACETIME
