"""Parties and their API keys, as intake keeps them: created and changed by operators, each
change published on the compacted `sosa.parties.v1` topic (through the outbox, in the same
transaction) so that the notifier accepts the same keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import envelope, topics
from sosa.contracts.parties import PARTY, CredentialRecord, PartyRecord, Role
from sosa.infra.outbox import outbox_row
from sosa.intake import tables

_parties = tables.parties
_keys = tables.api_keys


async def load_party(session: AsyncSession, party_id: str) -> Any | None:
    return (
        await session.execute(select(_parties).where(_parties.c.party_id == party_id))
    ).one_or_none()


async def party_keys(session: AsyncSession, party_id: str) -> list[Any]:
    return list(
        (
            await session.execute(
                select(_keys).where(_keys.c.party_id == party_id).order_by(_keys.c.created_at)
            )
        ).all()
    )


async def publish(session: AsyncSession, party_id: str, *, now: datetime, source: str) -> None:
    """Queue the party's whole current record (key hashes only) for `sosa.parties.v1`."""
    party = await load_party(session, party_id)
    assert party is not None
    record = PartyRecord(
        party_id=party.party_id,
        name=party.name,
        roles=[Role(r) for r in party.roles],
        disabled=party.disabled,
        credentials=[
            CredentialRecord(
                key_id=k.key_id,
                key_hash=k.key_hash,
                created_at=k.created_at,
                revoked_at=k.revoked_at,
            )
            for k in await party_keys(session, party_id)
        ],
        updated_at=now,
        kind=party.kind,
        country=party.country,
        timezone=party.timezone,
        code_of_conduct_signatory=party.code_of_conduct_signatory,
    )
    message = envelope.wrap(
        record,
        event_id=str(uuid.uuid4()),
        event_type=PARTY,
        source=source,
        subject=party_id,
        time=now,
    )
    await session.execute(tables.outbox.insert().values(outbox_row(topics.PARTIES, message)))
