"""Intake's read model, built only from `sosa.outcomes.v1`: the timeline, each request's view
(with what the resilience figures read of its history), the dates answers offered, who may see
it (the parties the events name), the figure roll-ups (`rollups`), and an audit row for each
decision."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts import involvement, outcomes
from sosa.infra.consumer_runner import ConsumerRunner, Decoded, OffsetCommitter
from sosa.infra.db import (
    insert_skipping_duplicates,
    is_postgres,
    unnest_arrays,
    unnest_insert,
)
from sosa.infra.dead_letters import DeadLetters
from sosa.infra.decoding import OutcomeRead, read_outcome
from sosa.infra.membership import among_named
from sosa.intake import audit, tables
from sosa.intake.views import rollups
from sosa.intake.views.changes import ViewFacts, advance, offer_delay
from sosa.intake.views.rollup_keys import Changes, Counted
from sosa.intake.views.timeline import timeline_row

log = logging.getLogger(__name__)
_views = tables.request_views
_FACT_NAMES = frozenset(f.name for f in fields(ViewFacts))
_FACT_COLUMNS = [_views.c[name] for name in sorted(_FACT_NAMES)]


async def apply_outcomes(session: AsyncSession, events: Sequence[outcomes.OutcomeEvent]) -> None:
    """Record each event in the timeline once and move each view forward, never backward;
    raises UnknownRequestError, recording nothing, when an event names no request of intake's.

    Every statement has one text whatever the batch's size (on PostgreSQL the lists go as
    arrays: `= ANY(:ids)`, `unnest`), so each is parsed and planned once per connection."""
    if not events:
        return
    postgres = is_postgres(session)
    by_request: dict[str, list[outcomes.OutcomeEvent]] = {}
    for event in events:  # in the order of their partition: one request's order
        by_request.setdefault(event.request_id, []).append(event)
    request_ids = list(by_request)
    # locked so that a second intake instance given the partition after a rebalance waits
    rows = (await session.execute(_statements(postgres).views, {"ids": request_ids})).all()
    unknown = set(by_request) - {row.request_id for row in rows}
    if unknown:
        raise UnknownRequestError(f"no request {', '.join(sorted(unknown))} at intake")
    fresh = await _new_events(session, events, postgres)
    # before this batch's grants go in: who could see each request until now
    seeing = await rollups.parties_seeing(session, request_ids)
    items = await rollups.items_of(session, request_ids)
    granted = await _record(session, events, postgres)
    gaining = {
        request_id: parties - seeing.get(request_id, set())
        for request_id, parties in granted.items()
        if parties - seeing.get(request_id, set())
    }
    # before this batch's offers go in; only a request answered before can hold any
    answered = {row.request_id for row in rows if row.first_answer is not None}
    held = await _offers_held(session, set(gaining) & answered, postgres)
    moved, offers, changes = [], [], Changes()
    for row in rows:
        facts = ViewFacts(**{k: v for k, v in row._mapping.items() if k in _FACT_NAMES})
        named = items.get(row.request_id, ())
        counted = Counted.of(row._mapping, named)
        before = facts.last_sequence
        new_delays = []
        for event in by_request[row.request_id]:
            if event.sequence > facts.last_sequence and (days := offer_delay(event)) is not None:
                offers.append(
                    {"event_id": event.event_id, "request_id": event.request_id, "delay_days": days}
                )
                new_delays.append(days)
            facts = advance(facts, event)
        if facts.last_sequence != before:
            moved.append({"b_request_id": row.request_id, "b_before": before, **facts.columns()})
        # the roll-ups: the view as it was out of its scopes, as it is into its scopes now
        parties = seeing.get(row.request_id, set())
        after_scopes = rollups.scopes(parties | granted.get(row.request_id, set()))
        changes.move(
            counted,
            rollups.scopes(parties),
            Counted.of({**row._mapping, **facts.columns()}, named),
            after_scopes,
        )
        # the offer histograms: the offers held, into the scopes gained; the new ones, into all
        changes.offers(counted, held.get(row.request_id, []), gaining.get(row.request_id, set()))
        changes.offers(counted, new_delays, after_scopes)
    if moved:
        await session.execute(_MOVE_VIEW, moved)
    if offers:
        await _insert_skipping_duplicates(session, tables.answer_offers, offers, postgres)
    await rollups.keep(session, changes)
    # after the views: the audit head is the last lock a transaction takes (see audit.append)
    await audit.append_all(session, [_audit_entry(event) for event in fresh])


_MOVE_VIEW = (
    _views.update()
    .where(_views.c.request_id == bindparam("b_request_id"))
    .where(_views.c.last_sequence == bindparam("b_before"))
)
"""One view moved forward, unless another writer moved it first (executed for many at once)."""


@dataclass(frozen=True, slots=True)
class _Statements:
    """The read model's reads for one dialect, built once: each list bound as one parameter
    (`sosa.infra.membership.among_named`)."""

    views: Any
    """The batch's views, locked (`ids`: request ids)."""
    seen: Any
    """The events of `ids` the timeline holds."""
    offers: Any
    """The offered dates stored for the requests `ids`."""


@cache
def _statements(postgres: bool) -> _Statements:
    timeline, offers = tables.request_timeline, tables.answer_offers
    return _Statements(
        views=select(_views.c.request_id, _views.c.requester, _views.c.supplier, *_FACT_COLUMNS)
        .where(among_named(_views.c.request_id, "ids", postgres=postgres))
        .with_for_update(),
        seen=select(timeline.c.event_id).where(
            among_named(timeline.c.event_id, "ids", postgres=postgres)
        ),
        offers=select(offers.c.request_id, offers.c.delay_days).where(
            among_named(offers.c.request_id, "ids", postgres=postgres)
        ),
    )


async def _offers_held(
    session: AsyncSession, request_ids: Iterable[str], postgres: bool
) -> dict[str, list[int]]:
    """The offered dates already stored for each request (days after the date required)."""
    wanted = list(request_ids)
    if not wanted:
        return {}
    found: dict[str, list[int]] = {}
    for request_id, days in await session.execute(_statements(postgres).offers, {"ids": wanted}):
        found.setdefault(request_id, []).append(int(days))
    return found


async def _new_events(
    session: AsyncSession, events: Sequence[outcomes.OutcomeEvent], postgres: bool
) -> list[outcomes.OutcomeEvent]:
    """The events not yet in the timeline (a batch delivered again adds no audit row)."""
    ids = list({e.event_id: None for e in events})
    seen = set((await session.execute(_statements(postgres).seen, {"ids": ids})).scalars())
    fresh = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            fresh.append(event)
    return fresh


async def _record(
    session: AsyncSession, events: Sequence[outcomes.OutcomeEvent], postgres: bool
) -> dict[str, set[str]]:
    """The events into the timeline (those it holds already skipped), and every party an event
    involves granted the request from then on (the supplier once it is routed to it, the
    liaison, the authorities awaited: `sosa.contracts.involvement`); on PostgreSQL in one
    statement. Returns the parties each request was granted to (held already or not)."""
    grants = [
        {"request_id": event.request_id, "party_id": party, "relation": relation}
        for event in events
        for party, relation in sorted(set(involvement.involved(event)))
    ]
    timeline = [timeline_row(e) for e in events]
    if postgres:
        dialect = session.get_bind().dialect
        await session.execute(
            _TIMELINE_AND_GRANTS,
            {
                **unnest_arrays(tables.request_timeline, timeline, dialect, prefix="t_"),
                **unnest_arrays(tables.request_access, grants, dialect, prefix="g_"),
            },
        )
    else:
        await insert_skipping_duplicates(session, tables.request_timeline, timeline)
        await insert_skipping_duplicates(session, tables.request_access, grants)
    granted: dict[str, set[str]] = {}
    for grant in grants:
        granted.setdefault(grant["request_id"], set()).add(grant["party_id"])
    return granted


_TIMELINE_AND_GRANTS = text(
    f"WITH t AS ({unnest_insert(tables.request_timeline, prefix='t_')} ON CONFLICT DO NOTHING) "
    f"{unnest_insert(tables.request_access, prefix='g_')} ON CONFLICT DO NOTHING"
)
"""On PostgreSQL, `_record`'s rows as arrays (`sosa.infra.db.unnest_insert`), one text."""


async def _insert_skipping_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], postgres: bool
) -> None:
    """INSERT rows, skipping those whose key exists: on PostgreSQL as arrays (one text)."""
    if postgres:
        arrays = unnest_arrays(table, rows, session.get_bind().dialect)
        await session.execute(_skipping_duplicates(table), arrays)
    else:
        await insert_skipping_duplicates(session, table, rows)


@cache
def _skipping_duplicates(table: Table) -> Any:
    return text(f"{unnest_insert(table)} ON CONFLICT DO NOTHING")


def _audit_entry(event: outcomes.OutcomeEvent) -> audit.Entry:
    return audit.Entry(
        at=event.occurred_at,
        actor="sosa-router",
        kind=f"decision:{outcomes.type_of(event)}",
        request_id=event.request_id,
        details={
            "event_id": event.event_id,
            "state": str(event.state),
            "caused_by": event.caused_by,
            "outcome": event.decision.outcome,
            "command_actor": getattr(event, "actor", None),
        },
    )


class UnknownRequestError(LookupError):
    """An outcome for a request intake never accepted (a forgery, or another deployment's):
    intake writes every request's view before its command can be published, so a real outcome
    always finds one. Dead-lettered, never recorded."""


@dataclass(frozen=True, slots=True)
class ReadModelStage:
    """Intake's read model on the consumer runner: outcome events are applied, posture changes
    (the notifier's concern) passed over. Idempotent: the timeline and access ignore rows they
    hold, a view moves only forward by sequence, and only new events add an audit row."""

    name: str = "intake"

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> OutcomeRead:
        return read_outcome(record)

    async def apply(
        self, session: AsyncSession, batch: Sequence[Decoded[OutcomeRead]]
    ) -> Sequence[None]:
        events = [d.item.event for d in batch if isinstance(d.item.event, outcomes.OutcomeEvent)]
        await apply_outcomes(session, events)
        return []


def runner(
    consumer: AIOKafkaConsumer,
    sessions: async_sessionmaker[AsyncSession],
    dead_letters: DeadLetters,
) -> ConsumerRunner[OutcomeRead, None]:
    """The read model's consume loop: each batch in one transaction, the records that cannot be
    read or applied to the dead-letter topic, then the offsets committed."""
    return ConsumerRunner(
        consumer, sessions, ReadModelStage(), OffsetCommitter(consumer, dead_letters)
    )
