"""The postures in force, as the notifier learns them from `sosa.posture.changed.v1`, and what
they tighten here: the waits between retries of a failed delivery (`retry_interval_factor`) and
how early a message about a response clock is handed to the second channel when the first has
not delivered it (`second_channel_factor`: the escalation margin divided by it).

A request's SOSA partner with a posture of its own takes that one; any other request the global
posture; none set: peacetime (factors 1) - the router's choice, from its one home
(`sosa.rules.posture.scope_in_force`). A change applies to deliveries still pending from its
time on: their escalation point moves earlier (never later, never back past now), and their
next retry is planned with the new factor when it is planned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import posture
from sosa.notifier import tables
from sosa.rules.posture import scope_in_force

p, d = tables.postures, tables.deliveries


@dataclass(frozen=True, slots=True)
class Factors:
    retry_interval: float = 1.0
    second_channel: float = 1.0


PEACETIME = Factors()


async def in_force(session: AsyncSession) -> dict[str, Factors]:
    """scope -> its factors."""
    rows = await session.execute(
        select(p.c.scope, p.c.retry_interval_factor, p.c.second_channel_factor)
    )
    return {scope: Factors(retry, second) for scope, retry, second in rows}


def for_partner(postures: Mapping[str, Factors], partner_country: str | None) -> Factors:
    """The factors of the posture in force for a request of `partner_country`, chosen as the
    router chooses its posture (`sosa.rules.posture.scope_in_force`)."""
    return postures.get(scope_in_force(postures.keys(), partner_country), PEACETIME)


async def apply_changes(
    session: AsyncSession,
    changes: Sequence[posture.PostureChanged],
    *,
    now: datetime,
    escalation_margin: timedelta,
) -> None:
    """Store each change (in order) and move the escalation point of the pending deliveries it
    covers: deadline minus the margin divided by the new factor, if that is earlier."""
    for change in changes:
        factors = Factors(
            float(change.settings.get("retry_interval_factor", 1.0)),
            float(change.settings.get("second_channel_factor", 1.0)),
        )
        values = {
            "posture": change.posture,
            "retry_interval_factor": factors.retry_interval,
            "second_channel_factor": factors.second_channel,
            "effective_at": change.effective_at,
        }
        found = await session.execute(select(p.c.scope).where(p.c.scope == change.scope))
        if found.first() is None:
            await session.execute(p.insert().values(scope=change.scope, **values))
        else:
            await session.execute(p.update().where(p.c.scope == change.scope).values(**values))
        current = await in_force(session)
        covered = (
            d.c.partner_country == change.scope
            if change.scope != posture.GLOBAL
            else or_(
                d.c.partner_country.is_(None),
                d.c.partner_country.not_in([s for s in current if s != posture.GLOBAL] or [""]),
            )
        )
        margin = escalation_margin / factors.second_channel
        pending = await session.execute(
            select(d.c.delivery_id, d.c.deadline, d.c.escalate_at).where(
                d.c.status == "pending",
                d.c.deadline.is_not(None),
                d.c.escalated_at.is_(None),
                d.c.escalated_from.is_(None),
                covered,
            )
        )
        moves = []
        for delivery_id, deadline, escalate_at in pending:
            sooner = max(deadline - margin, now)
            if escalate_at is None or sooner < escalate_at:
                moves.append({"moved_id": delivery_id, "sooner": sooner})
        if moves:  # one statement, executed for every delivery moved
            await session.execute(
                update(d)
                .where(d.c.delivery_id == bindparam("moved_id"))
                .values(escalate_at=bindparam("sooner")),
                moves,
            )
