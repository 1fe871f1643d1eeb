"""The notifier's copy of parties and API-key hashes, kept from the compacted `sosa.parties.v1`
(intake owns parties; the notifier never calls it).

Each record is a party's whole current state, so applying it is an upsert: applying one twice,
or an older one after a restart from the committed offset, ends in the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import envelope
from sosa.contracts.parties import PARTY, PartyRecord
from sosa.notifier import tables

log = logging.getLogger(__name__)
_parties, _keys = tables.parties, tables.api_keys


def records_in(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[PartyRecord]:
    found = []
    for record in records:
        try:
            message = envelope.from_kafka(record.value or b"", list(record.headers))
            if message.type == PARTY:
                found.append(PartyRecord.model_validate_json(message.data))
        except (ValueError, ValidationError):
            log.exception(
                "unreadable party record passed over",
                extra={"partition": record.partition, "offset": record.offset},
            )
    return found


async def apply(session: AsyncSession, record: PartyRecord) -> None:
    """Make the copy of one party what the record says, unless a newer record was applied."""
    current = (
        await session.execute(
            select(_parties.c.updated_at).where(_parties.c.party_id == record.party_id)
        )
    ).scalar_one_or_none()
    if current is not None and current > record.updated_at:
        return
    await session.execute(delete(_parties).where(_parties.c.party_id == record.party_id))
    await session.execute(delete(_keys).where(_keys.c.party_id == record.party_id))
    await session.execute(
        _parties.insert().values(
            party_id=record.party_id,
            roles=[str(r) for r in record.roles],
            disabled=record.disabled,
            updated_at=record.updated_at,
        )
    )
    if record.credentials:
        await session.execute(
            _keys.insert(),
            [
                {
                    "key_id": c.key_id,
                    "party_id": record.party_id,
                    "key_hash": c.key_hash,
                    "revoked_at": c.revoked_at,
                }
                for c in record.credentials
            ],
        )


async def run(consumer: AIOKafkaConsumer, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Consume party records forever; each batch in one transaction, then commit the offsets."""
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        for records in batches.values():
            async with sessions() as session, session.begin():
                for record in records_in(records):
                    await apply(session, record)
        if batches:
            await consumer.commit()
