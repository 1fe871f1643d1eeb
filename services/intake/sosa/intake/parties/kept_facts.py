"""The registry's facts about parties, kept for a bounded time: a submit needs the requester's
and the supplier's attributes (`facts.resolve_submission`), and a busy requester should not cost
a database read per request for facts that an operator changes a few times a year.

What was read (a party with no attributes, or none registered, included) is kept for
`SOSA_AUTH_CACHE_S`; intake forgets it all whenever it changes a party itself (`Runtime.
parties_changed`), so a change counts at once on the instance that made it and within that bound
on any other (docs/security.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.parties import PartyAttributes
from sosa.intake.parties.facts import Registry, registry_of


class KeptFacts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        keep_s: float,
        size: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._keep_s = keep_s
        self._kept: TTLCache[str, tuple[PartyAttributes | None]] = TTLCache(
            size, max(keep_s, 1e-9), timer=time.monotonic
        )

    async def registry(self, party_ids: Iterable[str]) -> Registry:
        """The registry's attributes of each party (None: not registered, or none set yet),
        read in one query for those not kept."""
        ids = sorted(set(party_ids))
        found: Registry = {}
        missing = []
        for party_id in ids:
            kept = self._kept.get(party_id) if self._keep_s > 0 else None
            if kept is None:
                missing.append(party_id)
            else:
                found[party_id] = kept[0]
        if missing:
            async with self._sessions() as session:
                read = await registry_of(session, missing)
            for party_id, attributes in read.items():
                found[party_id] = attributes
                if self._keep_s > 0:
                    self._kept[party_id] = (attributes,)
        return {party_id: found[party_id] for party_id in ids}

    def forget(self) -> None:
        """Drop everything kept: the next submit reads the registry again."""
        self._kept.clear()
