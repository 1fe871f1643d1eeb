"""A party's channels (webhook endpoints and e-mail recipients), and which ones get a message."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    exists,
    false,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.db import is_postgres
from sosa.infra.membership import among_named
from sosa.notifier import fanout, tables
from sosa.notifier.paused_parties import party_not_disabled

Kind = Literal["webhook", "email"]
_DELIVERY_NAMESPACE = uuid.UUID("8f0c5a8e-7d1b-4c55-9a4e-2b0d6c1f3e90")


@dataclass(frozen=True, slots=True)
class Channel:
    kind: Kind
    channel_id: str
    mode: str
    event_types: list[str] | None
    url: str | None = None
    """An endpoint's URL, its current secret (sealed) and its own limit of attempts in flight;
    a recipient's address: what an attempt needs, read with the channel."""
    secret: str | None = None
    max_in_flight: int | None = None
    address: str | None = None
    paused: bool = False
    """Its party is disabled: what is written for it waits (`sosa.notifier.paused_parties`)."""
    rotated: bool = False
    """An endpoint with rotated-out secrets still in grace (read when an attempt needs them)."""

    def delivery_id(self, message_id: str) -> str:
        """The same message on the same channel always gets the same delivery id."""
        name = self.channel_id if self.kind == "webhook" else f"email:{self.channel_id}"
        return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{message_id}/{name}"))

    def wants(self, event_type: str) -> bool:
        return fanout.wants(self.event_types, event_type)


async def of_party(session: AsyncSession, party_id: str) -> list[Channel]:
    """The party's enabled channels: endpoints first, then e-mail recipients."""
    return (await of_parties(session, [party_id])).get(party_id, [])


async def of_parties(
    session: AsyncSession, party_ids: Iterable[str], *, now: datetime | None = None
) -> dict[str, list[Channel]]:
    """Each party's enabled channels (endpoints first, then e-mail recipients, each in the order
    they were added), with what an attempt over each needs and whether its party is paused
    (`Channel`; `rotated` as of `now`): one statement, built once per dialect, whatever the
    number of parties."""
    wanted = sorted(set(party_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        query(is_postgres(session)), {"parties": wanted, "now": now or datetime.now(UTC)}
    )
    return read(rows, wanted)


def read(rows: Iterable[Any], party_ids: Iterable[str]) -> dict[str, list[Channel]]:
    """The rows of `query` as each party's channels (every party of `party_ids` named)."""
    found: dict[str, list[Channel]] = {party_id: [] for party_id in party_ids}
    for row in rows:
        found[row.party_id].append(
            Channel(
                row.kind,
                row.channel_id,
                row.mode,
                row.event_types,
                url=row.url,
                secret=row.secret,
                max_in_flight=row.max_in_flight,
                address=row.address,
                paused=bool(row.paused),
                rotated=bool(row.rotated),
            )
        )
    return found


@functools.cache
def query(postgres: bool) -> Any:
    """The enabled endpoints and recipients of the parties bound as `parties`, as `Channel`s
    (after their party), endpoints first, each kind in the order they were added (`read`);
    `now`: the instant rotated-out secrets are in grace at. Built once per dialect."""
    e, r, k = tables.endpoints, tables.email_recipients, tables.endpoint_secrets
    hooks = select(
        e.c.party_id,
        literal("webhook", String).label("kind"),
        e.c.endpoint_id.label("channel_id"),
        e.c.mode,
        e.c.event_types,
        e.c.url,
        e.c.secret,
        e.c.max_in_flight,
        cast(null(), String).label("address"),
        (~party_not_disabled(e.c.party_id)).label("paused"),
        exists()
        .where(
            k.c.endpoint_id == e.c.endpoint_id,
            k.c.expires_at > bindparam("now", type_=k.c.expires_at.type),
        )
        .label("rotated"),
        e.c.created_at,
    ).where(
        among_named(e.c.party_id, "parties", postgres=postgres),
        e.c.enabled.is_(True),
        e.c.deleted_at.is_(None),
    )
    mails = select(
        r.c.party_id,
        literal("email", String),
        r.c.recipient_id,
        r.c.mode,
        r.c.event_types,
        cast(null(), String),
        cast(null(), String),
        cast(null(), Integer),
        r.c.address,
        ~party_not_disabled(r.c.party_id),
        false(),
        r.c.created_at,
    ).where(
        among_named(r.c.party_id, "parties", postgres=postgres),
        r.c.enabled.is_(True),
        r.c.deleted_at.is_(None),
    )
    both = union_all(hooks, mails).subquery()
    return select(*(both.c[name] for name in _CHANNEL_COLUMNS)).order_by(
        both.c.kind.desc(), both.c.created_at
    )


_CHANNEL_COLUMNS = (
    "party_id", "kind", "channel_id", "mode", "event_types", "url", "secret", "max_in_flight",
    "address", "paused", "rotated",
)  # fmt: skip


def first_choice(channels: list[Channel], event_type: str) -> list[Channel]:
    """The channels a new message goes to: every "all" channel that wants it; when the party has
    none, its fallback channels (a fallback is for when the usual way does not work)."""
    wanting = [ch for ch in channels if ch.wants(event_type)]
    primary = [ch for ch in wanting if ch.mode == "all"]
    return primary or wanting
