"""The notifier's copy of parties and API-key hashes, kept from the compacted `sosa.parties.v1`
(intake owns parties; the notifier never calls it).

Each record is a party's whole current state, so applying it is an upsert: applying one twice,
or an older one after a restart from the committed offset, ends in the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import envelope
from sosa.contracts.parties import PARTY, PartyRecord
from sosa.infra.consumer_runner import ConsumerRunner, Decoded, OffsetCommitter
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.decoding import UnknownEventTypeError
from sosa.notifier import tables

log = logging.getLogger(__name__)
_parties, _keys = tables.parties, tables.api_keys


def read_party(record: ConsumerRecord[bytes, bytes]) -> PartyRecord:
    """The party record `record` holds; raises ValueError when it is none (dead-lettered)."""
    message = envelope.from_kafka(record.value or b"", list(record.headers))
    if message.type != PARTY:
        raise UnknownEventTypeError(f"unknown event type {message.type!r} on the party topic")
    party = PartyRecord.model_validate_json(message.data)
    if message.subject != party.party_id:
        raise ValueError(f"subject {message.subject!r} is not the party's own {party.party_id!r}")
    return party


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


@dataclass(frozen=True, slots=True)
class PartyStage:
    """The party copy on the consumer runner; each record an upsert (idempotent)."""

    name: str = "notifier"

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> PartyRecord:
        return read_party(record)

    async def apply(
        self, session: AsyncSession, batch: Sequence[Decoded[PartyRecord]]
    ) -> list[None]:
        for decoded in batch:
            await apply(session, decoded.item)
        return []


def runner(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    dead_letters: DeadLetters,
) -> ConsumerRunner[PartyRecord, None]:
    """The party copy's consume loop: each batch in one transaction, the records that cannot
    be read or applied to the party topic's dead-letter topic, then the offsets committed."""
    return ConsumerRunner(consumer, sessions, PartyStage(), OffsetCommitter(consumer, dead_letters))
