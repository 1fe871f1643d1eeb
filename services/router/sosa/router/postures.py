"""The postures in force, as the router keeps them (`postures` table), and what a change does:
it is stored, the open requests it covers get their reminders and early escalation planned again
from the change's time on, and a `sosa.posture.changed.v1` event goes out on the outcome stream.

Timers already due when the change is decided stay as they are (one may be on its way as a tick:
dropping it would lose that reminder); only the points still ahead are replaced. A point of the
new plan that equals one of the old is the same timer (same tick id), so nothing fires twice.
Every router reads the table with each batch (`BatchState`): a request in a batch another router
is deciding while the change commits is decided under the previous posture, and its clock is not
re-planned (the change's re-planning did not see it yet).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa import rules
from sosa.contracts import commands, envelope, posture, topics
from sosa.decisions.config import RulesConfig
from sosa.decisions.replanning import replan
from sosa.router import tables
from sosa.router.batch_state import BatchState, Timer
from sosa.router.outputs import Output

p = tables.postures


async def set_posture(
    session: AsyncSession,
    state: BatchState,
    command: commands.SetPosture,
    cause: envelope.Envelope,
    *,
    config: RulesConfig,
    source: str,
    now: datetime,
) -> list[Output]:
    previous = state.postures.get(command.scope, rules.Posture.PEACETIME)
    await _store(session, command)
    state.set_posture(command.scope, rules.Posture(command.posture))
    after = rules.PostureBoard(config.postures, dict(state.postures))
    replanned = await _replan_open(session, state, after, command.scope, config, now)
    settings = config.postures.settings[rules.Posture(command.posture)]
    event = posture.PostureChanged(
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sosa:posture:{command.command_id}")),
        scope=command.scope,
        posture=command.posture,
        previous=previous.value,
        reason=command.reason,
        set_by=command.set_by,
        effective_at=command.received_at,
        settings=settings.to_dict(),
        replanned=replanned,
        caused_by=cause.id,
        occurred_at=now,
    )
    return [
        Output.of(
            topics.OUTCOMES,
            envelope.wrap(
                event,
                event_id=event.event_id,
                event_type=posture.CHANGED,
                source=source,
                subject=command.scope,
                time=now,
                traceparent=cause.traceparent,
            ),
        )
    ]


async def _store(session: AsyncSession, command: commands.SetPosture) -> None:
    values = {
        "posture": command.posture,
        "reason": command.reason,
        "set_by": command.set_by,
        "effective_at": command.received_at,
        "command_id": command.command_id,
    }
    found = await session.execute(select(p.c.scope).where(p.c.scope == command.scope))
    if found.first() is None:
        await session.execute(p.insert().values(scope=command.scope, **values))
    else:
        await session.execute(p.update().where(p.c.scope == command.scope).values(**values))


async def _replan_open(
    session: AsyncSession,
    state: BatchState,
    board: rules.PostureBoard,
    scope: str,
    config: RulesConfig,
    now: datetime,
) -> int:
    """Plan again the clocks of the open requests whose posture comes from `scope`."""
    r = tables.requests
    open_ids = (
        await session.execute(
            select(r.c.request_id).where(
                r.c.state == str(rules.RequestStatus.ROUTED),
                r.c.deadline.is_not(None),
                r.c.deadline > now,
            )
        )
    ).scalars()
    ids = list(open_ids)
    await state.preload(session, ids)
    count = 0
    for request_id in ids:
        record = await state.request(session, request_id)
        if record is None or board.for_partner(record.facts.partner_country).scope != scope:
            continue
        planned = replan(record.facts, board, config)
        if planned is None or record.facts.deadline is None:
            continue
        state.set_timers(request_id, _timers(state.timers_of(request_id), planned, now))
        count += 1
    return count


def _timers(current: list[Timer], planned: rules.Plan, now: datetime) -> list[Timer]:
    """Timers due by now and the deadline's stay; the points ahead are the new plan's."""
    kept = [(kind, due) for kind, due in current if due <= now or kind == "deadline"]
    ahead: list[Timer] = [("reminder", due) for due in planned.reminders if due > now]
    if planned.early_escalation_at is not None and planned.early_escalation_at > now:
        ahead.append(("escalation", planned.early_escalation_at))
    return sorted(set(kept + ahead), key=lambda timer: (timer[1], timer[0]))
