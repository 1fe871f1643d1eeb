"""What intake keeps of the registry for `SOSA_AUTH_CACHE_S` (#25), on real databases: an API
key, whether a party is disabled, a party's registered facts. What was read is kept until the
bound or until intake forgets it (it does whenever it changes a party itself); a change made
elsewhere (another intake instance, here a direct write) counts once the bound has passed; with
a bound of 0 every lookup reads the tables."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from sosa.contracts.parties import PartyKind, Role
from sosa.infra import api_keys
from sosa.infra.auth import KeysInTables
from sosa.intake import tables
from sosa.intake.parties.kept_facts import KeptFacts
from tests.integration.intake.seeding import Sessions

pytestmark = pytest.mark.db
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
PARTY = "dod-navsea"
BOUND_S = 0.2
"""A short bound, so that the test can wait it out."""


async def registered(sessions: Sessions) -> str:
    """A party with its facts and one API key; the key's id."""
    key_id, key = api_keys.new_key()
    async with sessions() as session, session.begin():
        await session.execute(
            tables.parties.insert().values(
                party_id=PARTY,
                name="NAVSEA",
                roles=[Role.REQUESTER.value],
                disabled=False,
                created_at=NOW,
                updated_at=NOW,
                kind=PartyKind.US_DOD.value,
                country="US",
            )
        )
        await session.execute(
            tables.api_keys.insert().values(
                key_id=key_id,
                party_id=PARTY,
                key_hash=api_keys.hash_key(key, "pepper"),
                created_at=NOW,
            )
        )
    return key_id


async def change_elsewhere(sessions: Sessions, key_id: str) -> None:
    """What an operator does through another intake instance: revoke the key, disable the
    party, change its country."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(tables.api_keys).where(tables.api_keys.c.key_id == key_id).values(revoked_at=NOW)
        )
        await session.execute(
            update(tables.parties)
            .where(tables.parties.c.party_id == PARTY)
            .values(disabled=True, country="CA", kind=PartyKind.PARTNER_MINISTRY.value)
        )


def keys_of(sessions: Sessions, cache_s: float) -> KeysInTables:
    return KeysInTables(sessions, keys=tables.api_keys, parties=tables.parties, cache_s=cache_s)


async def active(keys: KeysInTables, key_id: str) -> bool:
    stored = await keys.find(key_id)
    assert stored is not None
    return stored.active


async def country(facts: KeptFacts, party_id: str = PARTY) -> str | None:
    attributes = (await facts.registry([party_id]))[party_id]
    return attributes.country if attributes else None


async def test_a_change_counts_once_forgotten_or_once_the_bound_has_passed(
    sessions: Sessions,
) -> None:
    key_id = await registered(sessions)
    keys, facts = keys_of(sessions, 60), KeptFacts(sessions, keep_s=60)
    assert await active(keys, key_id)
    assert not await keys.disabled(PARTY)
    assert await country(facts) == "US"

    await change_elsewhere(sessions, key_id)
    assert await active(keys, key_id)  # within the bound: what was read
    assert await country(facts) == "US"
    keys.forget()
    facts.forget()  # what intake does when it made the change itself
    assert not await active(keys, key_id)
    assert await keys.disabled(PARTY)
    assert await country(facts) == "CA"


async def test_a_change_made_elsewhere_counts_within_the_bound(sessions: Sessions) -> None:
    key_id = await registered(sessions)
    keys, facts = keys_of(sessions, BOUND_S), KeptFacts(sessions, keep_s=BOUND_S)
    assert await active(keys, key_id)
    assert not await keys.disabled(PARTY)
    assert await country(facts) == "US"
    assert await country(facts, "unknown-party") is None

    await change_elsewhere(sessions, key_id)
    await asyncio.sleep(BOUND_S * 1.5)
    assert not await active(keys, key_id)
    assert await keys.disabled(PARTY)
    assert await country(facts) == "CA"
    assert await country(facts, "unknown-party") is None


async def test_a_bound_of_zero_reads_every_time(sessions: Sessions) -> None:
    key_id = await registered(sessions)
    keys, facts = keys_of(sessions, 0), KeptFacts(sessions, keep_s=0)
    assert not await keys.disabled(PARTY)
    assert await active(keys, key_id)
    assert await country(facts) == "US"
    await change_elsewhere(sessions, key_id)
    assert not await active(keys, key_id)
    assert await keys.disabled(PARTY)
    assert await country(facts) == "CA"
