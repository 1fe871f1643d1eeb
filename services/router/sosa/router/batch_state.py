"""What one partition batch reads and writes, held in memory between one read and one write.

The processor loads, with one SELECT per table, the inbox rows of every command in the batch and
the state and timers of every request they name; the handlers then read and change that state
in memory (a request another command of the same batch created or moved is seen as it now is);
at the end `flush` writes it back with one statement per table and kind of change: inbox rows
added, requests inserted, requests updated, timers of the requests whose clock moved replaced.

A command whose handler fails fails the batch's transaction: the consumer runner decides the
batch again one command at a time, each in a state of its own. A request a command names that
the batch did not preload (its subject was not the request id) is read on first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sosa import rules
from sosa.contracts import commands
from sosa.contracts.outcomes import DecisionRecord
from sosa.decisions import facts_json
from sosa.infra.db import is_postgres, unnest_arrays, unnest_insert, unnest_update
from sosa.infra.membership import among_named
from sosa.router import tables
from sosa.router.outputs import Output, pack, unpack


@dataclass(frozen=True, slots=True)
class RequestRecord:
    request_id: str
    facts: rules.RequestFacts
    sequence: int
    details_json: str
    """The request's details (as intake sent them) as JSON text, made once: from the command
    (`SubmitRequest.details`) or read from the row as text; written back as it is. Parsed only
    where an escalation quotes them (`details`)."""
    last_decision: DecisionRecord
    last_decision_json: str | None = None
    """`last_decision`'s JSON when made already (read from the row, or made once for the
    outcome and the row: `deciding`); None: made when the row is written."""
    facts_read: tuple[rules.RequestFacts, str] | None = None
    """The facts as read from the row with their JSON text: written back as that text while the
    record still holds those very facts (a reminder, a refusal), made anew once they change."""

    def deciding(self, decision: DecisionRecord, **changes: Any) -> RequestRecord:
        """This request with a new last decision, serialised once here for both the row and the
        outcome that carries it (`OutcomeWriter.outputs` reuses the text)."""
        return replace(
            self, last_decision=decision, last_decision_json=decision.model_dump_json(), **changes
        )

    @property
    def details(self) -> dict[str, Any]:
        """The details as a dict (an escalation's facts: once per overdue request)."""
        found: dict[str, Any] = json.loads(self.details_json)
        return found

    @property
    def decision_text(self) -> tuple[DecisionRecord, str] | None:
        """The last decision with its JSON, when made already."""
        if self.last_decision_json is None:
            return None
        return self.last_decision, self.last_decision_json


@dataclass(frozen=True, slots=True)
class Seen:
    """A command already decided: where it was read and what it produced (its inbox row)."""

    partition: int
    offset: int
    outputs: list[Output]


@dataclass(frozen=True, slots=True)
class NewRequest:
    """What a request's first row holds besides its changing state."""

    rating: str | None
    received_at: datetime


Timer = tuple[str, datetime]
"""(kind, due_at) of one of a request's timers."""


@dataclass
class BatchState:
    requests: dict[str, RequestRecord | None] = field(default_factory=dict)
    """Every request read or written so far; None: read, and there is none."""
    timers: dict[str, list[Timer]] = field(default_factory=dict)
    inbox: dict[str, Seen] = field(default_factory=dict)
    created: dict[str, NewRequest] = field(default_factory=dict)
    changed: dict[str, datetime] = field(default_factory=dict)
    """Requests to write back, with the time of their last change."""
    timers_changed: set[str] = field(default_factory=set)
    postures: dict[str, rules.Posture] = field(default_factory=dict)
    """The postures in force (scope -> posture), read with the batch: a change another router
    made is seen from its next batch on."""
    emitted: dict[tuple[str, str, datetime], datetime] = field(default_factory=dict)
    """When each timer read was turned into a tick: kept when its request's timers are
    written again with it (a posture's re-planning keeps the timers already due)."""
    decided: dict[str, tuple[str, int, int, list[Output], datetime]] = field(default_factory=dict)
    """Inbox rows to add: event id -> (topic, partition, offset, outputs, processed_at)."""
    forgotten: set[str] = field(default_factory=set)
    """Inbox rows to delete before adding (a replayed dead letter decided afresh)."""

    # --- reading -------------------------------------------------------------------------------

    @classmethod
    async def load(
        cls, session: AsyncSession, event_ids: Iterable[str], request_ids: Iterable[str]
    ) -> BatchState:
        """The inbox rows of these events and the state and timers of these requests: three
        SELECTs whatever the batch's size."""
        state = cls()
        ids = sorted(set(event_ids))
        if ids:
            for row in await session.execute(_SEEN[is_postgres(session)], {"ids": ids}):
                state.inbox[row.event_id] = Seen(row.partition, row.offset, unpack(row.records))
        await state._read_requests(session, set(request_ids))
        for scope, posture in await session.execute(_POSTURES):
            state.postures[scope] = rules.Posture(posture)
        return state

    async def _read_requests(self, session: AsyncSession, request_ids: set[str]) -> None:
        wanted = sorted(request_ids - self.requests.keys())
        if not wanted:
            return
        self.requests.update(dict.fromkeys(wanted))
        self.timers.update({request_id: [] for request_id in wanted})
        found = []
        for row in await session.execute(_REQUESTS[is_postgres(session)], {"ids": wanted}):
            found.append(row.request_id)
            facts = facts_json.load(json.loads(row.facts))
            self.requests[row.request_id] = RequestRecord(
                request_id=row.request_id,
                facts=facts,
                facts_read=(facts, row.facts),
                sequence=row.sequence,
                details_json=row.details,
                last_decision=DecisionRecord.model_validate_json(row.last_decision),
                last_decision_json=row.last_decision,
            )
        if not found:  # a batch of submissions: timers are only ever written with their request
            return
        for timer in await session.execute(_TIMERS[is_postgres(session)], {"ids": found}):
            self.timers[timer.request_id].append((timer.kind, timer.due_at))
            if timer.emitted_at is not None:
                self.emitted[(timer.request_id, timer.kind, timer.due_at)] = timer.emitted_at

    async def preload(self, session: AsyncSession, request_ids: Iterable[str]) -> None:
        """Read these requests and their timers now, with one SELECT per table."""
        await self._read_requests(session, set(request_ids))

    def timers_of(self, request_id: str) -> list[Timer]:
        return list(self.timers.get(request_id, []))

    async def request(self, session: AsyncSession, request_id: str) -> RequestRecord | None:
        """The request as this batch has left it so far (read now if it was not preloaded)."""
        if request_id not in self.requests:
            await self._read_requests(session, {request_id})
        return self.requests[request_id]

    def seen(self, event_id: str) -> Seen | None:
        return self.inbox.get(event_id)

    def timer_is_set(self, tick: commands.ClockTick) -> bool:
        """Whether a tick's timer is still set (a restarted clock replaces the old timers)."""
        return (tick.timer, tick.due_at) in self.timers.get(tick.request_id, [])

    # --- changing ------------------------------------------------------------------------------

    def insert(self, record: RequestRecord, new: NewRequest, *, now: datetime) -> None:
        self.created[record.request_id] = new
        self.save(record, now=now)

    def save(self, record: RequestRecord, *, now: datetime) -> None:
        self.requests[record.request_id] = record
        self.changed[record.request_id] = now

    def set_posture(self, scope: str, posture: rules.Posture) -> None:
        """The posture of `scope` from now on in this batch (the table is written at once)."""
        self.postures[scope] = posture

    def set_timers(self, request_id: str, timers: list[Timer]) -> None:
        self.timers[request_id] = timers
        self.timers_changed.add(request_id)

    def remember(
        self,
        event_id: str,
        *,
        topic: str,
        partition: int,
        offset: int,
        outputs: list[Output],
        processed_at: datetime,
        replacing: bool = False,
    ) -> None:
        """Add the command's inbox row (replacing the one it had: a replayed dead letter)."""
        if replacing:
            self.forgotten.add(event_id)
        self.inbox[event_id] = Seen(partition, offset, outputs)
        self.decided[event_id] = (topic, partition, offset, outputs, processed_at)

    # --- writing -------------------------------------------------------------------------------

    async def flush(self, session: AsyncSession) -> None:
        """Write every change back, one statement per table and kind of change (on PostgreSQL
        each of one shape whatever the batch's size: `sosa.infra.db.unnest_insert`,
        `unnest_update`)."""
        arrays = is_postgres(session)
        inserted = [
            self._row(rid, now, self.created[rid], as_text=arrays)
            for rid, now in self._changes(True)
        ]
        updated = [self._row(rid, now, as_text=arrays) for rid, now in self._changes(False)]
        if inserted:
            await _write(session, arrays, _INSERT_REQUESTS, _r, inserted)
        if updated:
            if arrays:
                await session.execute(
                    _UPDATE_REQUESTS_ARRAYS,
                    _arrays(session, _r, updated, ("request_id", *_CHANGING)),
                )
            else:
                await session.execute(
                    _UPDATE_REQUESTS,
                    [{"b_request_id": row.pop("request_id"), **row} for row in updated],
                )
        if self.timers_changed:
            ids = sorted(self.timers_changed)
            existing = [rid for rid in ids if rid not in self.created]  # a new one has none
            if existing:
                await session.execute(_DELETE_TIMERS[is_postgres(session)], {"ids": existing})
            rows = [
                {
                    "request_id": rid,
                    "kind": kind,
                    "due_at": due,
                    "emitted_at": self.emitted.get((rid, kind, due)),
                }
                for rid in ids
                for kind, due in self.timers[rid]
            ]
            if rows:
                await _write(session, arrays, _INSERT_TIMERS, _t, rows)
        if self.forgotten:
            await session.execute(_FORGET[is_postgres(session)], {"ids": sorted(self.forgotten)})
        if self.decided:
            await _write(
                session,
                arrays,
                _INSERT_INBOX,
                _i,
                [
                    {
                        "event_id": event_id,
                        "topic": topic,
                        "partition": partition,
                        "offset": offset,
                        "records": pack(outputs),
                        "processed_at": processed_at,
                    }
                    for event_id, (topic, partition, offset, outputs, processed_at) in (
                        self.decided.items()
                    )
                ],
            )

    def _changes(self, created: bool) -> list[tuple[str, datetime]]:
        return sorted(
            (rid, now) for rid, now in self.changed.items() if (rid in self.created) == created
        )

    def _row(
        self,
        request_id: str,
        now: datetime,
        new: NewRequest | None = None,
        *,
        as_text: bool = False,
    ) -> dict[str, Any]:
        """A request's row; with `as_text`, its JSON columns already serialised (PostgreSQL's
        arrays take them as text)."""
        record = self.requests[request_id]
        assert record is not None, "only requests that exist are written"
        row: dict[str, Any] = {
            "request_id": request_id,
            "state": str(record.facts.status),
            "path": str(record.facts.path),
            "deadline": record.facts.deadline,
            "sequence": record.sequence,
            "facts": _facts(record, as_text),
            "last_decision": _decision(record, as_text),
            "updated_at": now,
        }
        if new is not None:
            row |= {
                "requester": record.facts.requester.party_id,
                "supplier": record.facts.supplier.party_id,
                "rating": new.rating,
                "details": record.details_json if as_text else record.details,
                "received_at": new.received_at,
            }
        return row


async def _write(
    session: AsyncSession,
    arrays: bool,
    rows_statement: Any,
    table: Table,
    rows: list[dict[str, Any]],
) -> None:
    """Insert `rows` into `table`: on PostgreSQL as one array per column, else row by row."""
    if not arrays:
        await session.execute(rows_statement, rows)
        return
    await session.execute(_INSERTING[table.name], _arrays(session, table, rows))


def _arrays(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    names: Sequence[str] | None = None,
) -> dict[str, list[Any]]:
    """The rows' columns `names` (every one by default) as arrays, as the column binds each value
    (an instant in UTC); the JSON columns are text already (`_row`)."""
    return unnest_arrays(table, rows, session.get_bind().dialect, names, json_text=True)


def _decision(record: RequestRecord, as_text: bool) -> Any:
    """The row's last decision: its JSON made once (`RequestRecord.deciding`, or as read)."""
    text = record.last_decision_json
    if text is None:
        text = record.last_decision.model_dump_json()
    return text if as_text else json.loads(text)


def _facts(record: RequestRecord, as_text: bool) -> Any:
    """The row's facts: the text read from the row while they are unchanged, else made now."""
    if as_text and record.facts_read is not None and record.facts_read[0] is record.facts:
        return record.facts_read[1]
    facts = facts_json.dump(record.facts)
    return _COMPACT.encode(facts) if as_text else facts


_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""One encoder for every row's facts (`json.dumps` with options makes one per call)."""


def _ids(column: ColumnElement[str], postgres: bool) -> ColumnElement[bool]:
    """`column` among a list of ids bound as a whole (`sosa.infra.membership.among_named`): on
    PostgreSQL `= ANY` of one array, one statement text whatever the batch's size, so prepared
    once per connection (an expanding `IN` renders one text per list length, each prepared
    anew, and a steady stream's polls come in many lengths); elsewhere an expanding `IN`."""
    return among_named(column, "ids", postgres=postgres)


def _by_ids(build: Callable[[bool], Executable]) -> dict[bool, Executable]:
    """A statement on a list of ids, for PostgreSQL (True) and the other dialects (False)."""
    return {postgres: build(postgres) for postgres in (True, False)}


_i, _r, _t, _p = tables.inbox, tables.requests, tables.timers, tables.postures
_SEEN = _by_ids(
    lambda pg: select(_i.c.event_id, _i.c.partition, _i.c.offset, _i.c.records).where(
        _ids(_i.c.event_id, pg)
    )
)
_REQUESTS = _by_ids(
    lambda pg: select(
        *(c for c in _r.c if c.name not in ("last_decision", "details", "facts")),
        cast(_r.c.last_decision, Text).label("last_decision"),  # validated from its text, kept
        cast(_r.c.details, Text).label("details"),  # kept as text, written back as it is
        cast(_r.c.facts, Text).label("facts"),  # kept as text while the facts do not change
    ).where(_ids(_r.c.request_id, pg))
)
_TIMERS = _by_ids(
    lambda pg: select(_t.c.request_id, _t.c.kind, _t.c.due_at, _t.c.emitted_at).where(
        _ids(_t.c.request_id, pg)
    )
)
_POSTURES = select(_p.c.scope, _p.c.posture)
_DELETE_TIMERS = _by_ids(lambda pg: delete(_t).where(_ids(_t.c.request_id, pg)))
_FORGET = _by_ids(lambda pg: delete(_i).where(_ids(_i.c.event_id, pg)))
_CHANGING = ("state", "path", "deadline", "sequence", "facts", "last_decision", "updated_at")
_INSERT_REQUESTS = _r.insert()
_UPDATE_REQUESTS = (
    update(_r)
    .where(_r.c.request_id == bindparam("b_request_id"))
    .values({c: bindparam(c) for c in _CHANGING})
)
_INSERT_TIMERS = _t.insert()
_INSERT_INBOX = _i.insert()
_INSERTING = {
    table.name: text(unnest_insert(table, lengths_checked=True)) for table in (_r, _t, _i)
}
"""On PostgreSQL: each table's rows as one array per column (`sosa.infra.db.unnest_insert`);
a string longer than its column is refused, not cut (a command whose ids are too long is
dead-lettered, as when the rows were inserted one by one)."""
_UPDATE_REQUESTS_ARRAYS = text(unnest_update(_r, "request_id", _CHANGING, lengths_checked=True))
