"""A party's channels (webhook endpoints and e-mail recipients), and which ones get a message."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.membership import among
from sosa.notifier import fanout, tables

Kind = Literal["webhook", "email"]
_DELIVERY_NAMESPACE = uuid.UUID("8f0c5a8e-7d1b-4c55-9a4e-2b0d6c1f3e90")


@dataclass(frozen=True, slots=True)
class Channel:
    kind: Kind
    channel_id: str
    mode: str
    event_types: list[str] | None

    def delivery_id(self, message_id: str) -> str:
        """The same message on the same channel always gets the same delivery id."""
        name = self.channel_id if self.kind == "webhook" else f"email:{self.channel_id}"
        return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{message_id}/{name}"))

    def wants(self, event_type: str) -> bool:
        return fanout.wants(self.event_types, event_type)


async def of_party(session: AsyncSession, party_id: str) -> list[Channel]:
    """The party's enabled channels: endpoints first, then e-mail recipients."""
    return (await of_parties(session, [party_id])).get(party_id, [])


async def of_parties(session: AsyncSession, party_ids: Iterable[str]) -> dict[str, list[Channel]]:
    """Each party's enabled channels (endpoints first, then e-mail recipients, each in the order
    they were added), in two statements whatever the number of parties."""
    e, r = tables.endpoints, tables.email_recipients
    wanted = sorted(set(party_ids))
    found: dict[str, list[Channel]] = {party_id: [] for party_id in wanted}
    if not wanted:
        return found
    hooks = await session.execute(
        select(e.c.party_id, e.c.endpoint_id, e.c.mode, e.c.event_types)
        .where(
            among(session, e.c.party_id, wanted), e.c.enabled.is_(True), e.c.deleted_at.is_(None)
        )
        .order_by(e.c.created_at)
    )
    for party_id, *channel in hooks:
        found[party_id].append(Channel("webhook", *channel))
    mails = await session.execute(
        select(r.c.party_id, r.c.recipient_id, r.c.mode, r.c.event_types)
        .where(
            among(session, r.c.party_id, wanted), r.c.enabled.is_(True), r.c.deleted_at.is_(None)
        )
        .order_by(r.c.created_at)
    )
    for party_id, *channel in mails:
        found[party_id].append(Channel("email", *channel))
    return found


def first_choice(channels: list[Channel], event_type: str) -> list[Channel]:
    """The channels a new message goes to: every "all" channel that wants it; when the party has
    none, its fallback channels (a fallback is for when the usual way does not work)."""
    wanting = [ch for ch in channels if ch.wants(event_type)]
    primary = [ch for ch in wanting if ch.mode == "all"]
    return primary or wanting
