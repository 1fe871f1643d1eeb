"""Commands stored with their outbox rows, and their status as outcomes arrive (real PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from sqlalchemy import select

from sosa.contracts import commands, topics
from sosa.contracts.parties import Role
from sosa.contracts.states import RequestState
from sosa.intake import tables
from sosa.intake.views import access
from sosa.intake.views.queries import load_command
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, caller, command, count, submit
from tests.unit.intake.builders import T0, refused, transitioned

pytestmark = pytest.mark.db
S = RequestState
ACCEPT = commands.SupplierResponseDetails(supplier_party_id="acme-valves", kind="accept")


async def test_a_command_for_an_unknown_request_is_not_found(sessions: Sessions) -> None:
    operator = caller("ops", Role.OPERATOR)  # sees every request intake has
    async with sessions() as session:
        with pytest.raises(HTTPException) as refused:
            await access.check_command(session, operator, "no-such-request", ACCEPT)
    assert refused.value.status_code == 404
    assert (await count(sessions, "commands"), await count(sessions, "outbox")) == (0, 0)


async def test_a_command_and_its_outbox_row_are_stored_together(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    accepted = await command(sessions, request_id, ACCEPT, now=T0)
    assert accepted.command_type == commands.RESPOND
    assert accepted.links["self"].endswith(f"/{request_id}/commands/{accepted.command_id}")
    async with sessions() as session:
        row = (
            await session.execute(
                select(tables.outbox).where(tables.outbox.c.event_id == accepted.command_id)
            )
        ).one()
        stored = (
            await session.execute(
                select(tables.commands).where(tables.commands.c.command_id == accepted.command_id)
            )
        ).one()
    assert (row.topic, row.event_type, row.subject) == (
        topics.REQUESTS,
        commands.RESPOND,
        request_id,
    )
    parsed = commands.parse_command(row.event_type, row.data)
    assert isinstance(parsed, commands.RespondToRequest)
    assert parsed.response == ACCEPT
    assert stored.command_type == commands.RESPOND
    assert stored.body["response"]["kind"] == "accept"


async def test_a_command_is_pending_until_an_outcome_names_it(sessions: Sessions) -> None:
    request_id = await submit(sessions, DPAS_REQUEST, now=T0)
    await apply(sessions, [transitioned(request_id, 1, S.ROUTED, S.RECEIVED)])
    accept = await command(sessions, request_id, ACCEPT, now=T0)
    again = await command(sessions, request_id, ACCEPT, now=T0)

    async def status(command_id: str) -> str:
        async with sessions() as session:
            found = await load_command(session, request_id, command_id)
        assert found is not None
        return found.status

    assert await status(accept.command_id) == "pending"
    await apply(
        sessions,
        [
            transitioned(request_id, 2, S.ACCEPTED, S.ROUTED, caused_by=accept.command_id),
            refused(request_id, 3, S.ACCEPTED, caused_by=again.command_id),
        ],
    )
    assert await status(accept.command_id) == "applied"
    assert await status(again.command_id) == "refused"
    async with sessions() as session:
        assert await load_command(session, "other-request", accept.command_id) is None
        found = await load_command(session, request_id, again.command_id)
    assert found is not None
    assert [e.kind for e in found.outcomes] == ["refused"]
