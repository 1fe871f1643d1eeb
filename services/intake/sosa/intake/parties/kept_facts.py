"""The registry's facts about parties, kept for a bounded time: a submit needs the requester's
and the supplier's attributes (`facts.resolve_submission`), and a busy requester should not cost
a database read per request for facts that an operator changes a few times a year.

What was read (a party with no attributes, or none registered, included) is kept for
`SOSA_AUTH_CACHE_S` (`sosa.infra.kept_reads`); intake forgets it all whenever it changes a party
itself (`Runtime.parties_changed`), so a change counts at once on the instance that made it and
within that bound on any other (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.parties import PartyAttributes
from sosa.infra.kept_reads import KeptReads
from sosa.intake.parties.facts import Registry, registry_of


class KeptFacts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, keep_s: float) -> None:
        self._sessions = sessions
        self._kept: KeptReads[str, PartyAttributes | None] = KeptReads(keep_s)

    async def registry(self, party_ids: Iterable[str]) -> Registry:
        """The registry's attributes of each party (None: not registered, or none set yet)."""
        if self._kept.keep_s <= 0:  # nothing kept: one read for them all
            async with self._sessions() as session:
                return await registry_of(session, party_ids)
        return {
            party_id: await self._kept.get(party_id, partial(self._read, party_id))
            for party_id in sorted(set(party_ids))
        }

    def forget(self) -> None:
        """Drop everything kept: the next submit reads the registry again."""
        self._kept.forget()

    async def _read(self, party_id: str) -> PartyAttributes | None:
        async with self._sessions() as session:
            return (await registry_of(session, [party_id]))[party_id]
