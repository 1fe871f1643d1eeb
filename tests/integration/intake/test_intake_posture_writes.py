"""The posture PUT's rows through intake's one accept path (`writes.store_all`) on real
databases: the `SetPosture` command, its outbox row, the posture and the audit entry stored
together; a change made over a posture that another change replaced meanwhile stores nothing."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from sosa.contracts import commands, topics
from sosa.contracts.parties import Role
from sosa.contracts.posture import PostureName
from sosa.intake import audit, tables
from sosa.intake.commands.answers import PostureAccepted
from sosa.intake.commands.posture_change import posture_write
from sosa.intake.commands.writes import PostureMovedError, Write
from tests.integration.intake.seeding import Sessions, caller, count, store
from tests.unit.intake.builders import T0

pytestmark = pytest.mark.db
OPERATOR = caller("ops", Role.OPERATOR)


class Body(BaseModel):
    posture: PostureName
    reason: str


def change(scope: str, name: PostureName, previous: str | None) -> Write[PostureAccepted]:
    return posture_write(
        scope,
        name,
        "exercise",
        body=Body(posture=name, reason="exercise"),
        previous=previous,
        caller=OPERATOR,
        key=None,
        now=T0,
        source="/sosa/intake",
    )


async def test_a_posture_change_is_stored_with_its_command_outbox_row_and_audit_entry(
    sessions: Sessions,
) -> None:
    first = change("SE", "emergency", None)
    second = change("SE", "armed_conflict", "emergency")
    assert await store(sessions, first, second) == [first, second]
    assert first.answer.previous == "peacetime"
    async with sessions() as session:
        posture = (await session.execute(select(tables.postures))).one()
        outbox = (await session.execute(select(tables.outbox))).all()
        verdict = await audit.verify(session, checkpoint=None)
    assert (posture.scope, posture.posture) == ("SE", "armed_conflict")
    assert [(r.topic, r.event_type, r.subject) for r in outbox] == [
        (topics.REQUESTS, commands.SET_POSTURE, "posture/SE")
    ] * 2
    assert (verdict.ok, verdict.rows) == (True, 2)


async def test_a_change_over_a_posture_replaced_meanwhile_stores_nothing(
    sessions: Sessions,
) -> None:
    assert await store(sessions, change("global", "emergency", None))
    for stale in (
        change("global", "peacetime", None),
        change("global", "peacetime", "armed_conflict"),
    ):
        with pytest.raises(PostureMovedError):
            await store(sessions, stale)
    assert (await count(sessions, "commands"), await count(sessions, "postures")) == (1, 1)
