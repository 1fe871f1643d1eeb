"""Scenario e's population: N requests seeded straight into intake's own tables on PostgreSQL,
with COPY (asyncpg's `copy_records_to_table`), in a database of its own per size
(`bench_readside_<N>` on the shared PostgreSQL, or `bench_readside_<N>_<suffix>` with
SOSA_BENCH_READSIDE_SUFFIX set: engineers working on one PostgreSQL at once keep their seeds apart),
kept between runs: a size seeded once with the same SEED_VERSION is reused (the marker table
`bench_seeded` says so), after the migrations added since have run on it (each backfills its own
tables from the seeded rows).

What is seeded, with spreads that look like an exchange's year (bench/readside_seed.py):

- requesters and suppliers drawn with Zipf-like weights (a few large, a long tail): N/2,000
  requesters (at least 20) and N/200 suppliers (at least 50);
- received times spread evenly over the year before the run, in order (the audit chain follows
  them); every state in proportions a year would leave (most accepted or fulfilled, some routed,
  overdue, refused, cancelled, awaiting an authority); paths, DO and DX ratings of 24 programs,
  25 partner countries besides the US; one or two of 3,000 items;
- per request: its view (details and decision as the router writes them, and the figure columns
  the read model keeps), its timeline (one to three outcome events), the requester's and the
  supplier's access, its items, an offered date for counter-offers and partial acceptances,
  and one audit entry in the hash chain (`audit.row_hash`), the head set at the end;
- then the figure roll-ups, histograms, pairs and summaries, counted set-based by migrations
  0008's, 0010's and 0009's own `fill`, and VACUUM ANALYZE, as autovacuum would have done over
  the year.

It takes about a minute per 100,000 requests on 2 cores (the hash chain and JSON in Python,
COPY in PostgreSQL).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from sosa.infra import db
from sosa.infra.migrations import upgrade_to_head
from sosa.intake import tables
from sosa.intake.audit import row_hash
from sosa.intake.insights.resilience_figures import ACCEPTING, ANSWERED, OVERDUE, item_keys

SEED_VERSION = 6
"""6: the figure roll-ups filled after COPY (migration 0008), the daily ones keyed by day first
(the figure histograms of migration 0010 and the figure pairs and summaries of 0009 are filled
after COPY too, or by their migration when a kept seed is upgraded: no new version needed)."""
CHUNK = 20_000
MIGRATIONS = "sosa.intake:migrations"
START = datetime(2025, 12, 1, tzinfo=UTC)
"""The first receipt: a year of requests up to the first days of December 2026."""
YEAR = timedelta(days=365)
TRANSITIONED = "sosa.outcome.transitioned.v1"

STATES: list[tuple[str, float]] = [
    ("received", 0.01),
    ("awaiting_determination", 0.02),
    ("awaiting_authorization", 0.02),
    ("routed", 0.12),
    ("accepted", 0.33),
    ("fulfilled", 0.17),
    ("rejected_by_supplier", 0.04),
    ("counter_offered", 0.06),
    ("declined", 0.03),
    ("overdue", 0.05),
    ("cancelled", 0.05),
    ("rejected", 0.10),
]
PROGRAMS = [f"{letter}{n}" for letter in "ABC" for n in range(1, 9)]
COUNTRIES = ["US"] * 24 + [
    "AU", "CA", "DE", "DK", "EE", "ES", "FI", "GB", "IN", "IT", "JP", "KR", "LT", "LV", "NL",
    "NO", "PL", "PT", "SE", "SG", "CZ", "IL", "RO", "BE", "FR",
]  # fmt: skip
CERTIFICATION = (
    "This is a rated order certified for national defense use, and you are required to follow "
    "all the provisions of the Defense Priorities and Allocations System regulation (15 CFR 700)."
)


@dataclass
class Population:
    """Who is in the seeded population: what the timed calls need to name."""

    n: int
    requesters: list[str]
    suppliers: list[str]
    busiest_requester: str = ""
    busiest_supplier: str = ""
    sample_request: str = ""
    """A recent request of the busiest requester that has a timeline."""
    counts: dict[str, int] = field(default_factory=dict)


def database_url(admin_url: str, n: int) -> str:
    suffix = os.environ.get("SOSA_BENCH_READSIDE_SUFFIX", "")
    if suffix and not re.fullmatch(r"[a-z0-9_]{1,20}", suffix):
        raise ValueError("SOSA_BENCH_READSIDE_SUFFIX: up to 20 of a-z, 0-9 and _")
    name = f"bench_readside_{n}" + (f"_{suffix}" if suffix else "")
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def population_of(n: int) -> Population:
    requesters = [f"bench-req-{i:04d}" for i in range(max(20, n // 2000))]
    suppliers = [f"bench-sup-{i:05d}" for i in range(max(50, n // 200))]
    return Population(
        n, requesters, suppliers, busiest_requester=requesters[0], busiest_supplier=suppliers[0]
    )


async def seeded(admin_url: str, n: int) -> tuple[str, Population, float]:
    """The database of size `n`, seeded now unless it already was; (url, who, seconds spent)."""
    url = database_url(admin_url, n)
    pop = population_of(n)
    if await _marker(url) == SEED_VERSION:
        started = time.monotonic()
        await _upgraded(url)
        pop.sample_request = await _sample(url, pop)
        return url, pop, time.monotonic() - started
    started = time.monotonic()
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    engine = db.create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        pop.counts = await _copy(connection, pop)
        pop.counts.update(await _fill_rollups(url))
        await connection.execute("VACUUM ANALYZE")
        await connection.execute(
            "CREATE TABLE bench_seeded (version integer, n integer, seconds real)"
        )
        await connection.execute(
            "INSERT INTO bench_seeded VALUES ($1, $2, $3)",
            SEED_VERSION,
            n,
            time.monotonic() - started,
        )
    finally:
        await connection.close()
    pop.sample_request = await _sample(url, pop)
    return url, pop, time.monotonic() - started


async def _upgraded(url: str) -> None:
    """A kept seed brought to the migrations' head: a migration added since it was seeded fills
    its own tables from the seeded rows (each backfills set-based), which takes minutes at a
    million where seeding again takes eleven; then ANALYZE, so the planner knows them."""
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            before = (
                await connection.execute(text("SELECT version_num FROM alembic_version_intake"))
            ).scalar_one()
        await upgrade_to_head(engine, MIGRATIONS)
        async with engine.connect() as connection:
            after = (
                await connection.execute(text("SELECT version_num FROM alembic_version_intake"))
            ).scalar_one()
    finally:
        await engine.dispose()
    if after != before:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await connection.execute("ANALYZE")
        finally:
            await connection.close()


ROLLUPS_REVISIONS = ("8b41f0d3c2a9", "a7d3f5c1e9b2", "9a1c7e2b4d60")
"""The migrations that made the figure roll-ups, histograms, pairs and summaries: each `fill`
counts the views set-based (a fresh seed runs them after COPY; a kept one got them from
`_upgraded`)."""


async def _fill_rollups(url: str) -> dict[str, int]:
    """The roll-ups, histograms, pairs and summaries of what COPY stored, the way the
    migrations' backfills count them."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    scripts = ScriptDirectory.from_config(config)
    engine = db.create_engine(url)
    try:
        async with engine.begin() as connection:
            for revision in ROLLUPS_REVISIONS:
                await connection.run_sync(scripts.get_revision(revision).module.fill)
            return {
                table.name: int(
                    (await connection.execute(select(func.count()).select_from(table))).scalar_one()
                )
                for table in (
                    tables.figure_counts,
                    tables.figure_counts_daily,
                    tables.figure_histograms,
                    tables.figure_histograms_daily,
                    tables.figure_pairs,
                    tables.figure_summaries,
                )
            }
    finally:
        await engine.dispose()


async def _marker(url: str) -> int | None:
    try:
        connection = await asyncpg.connect(asyncpg_dsn(url))
    except (asyncpg.InvalidCatalogNameError, OSError):
        return None
    try:
        found = await connection.fetchval(
            "SELECT version FROM bench_seeded LIMIT 1"
            if await connection.fetchval("SELECT to_regclass('bench_seeded') IS NOT NULL")
            else "SELECT NULL::integer"
        )
        return int(found) if found is not None else None
    finally:
        await connection.close()


async def _sample(url: str, pop: Population) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found = await connection.fetchval(
            "SELECT request_id FROM request_views WHERE requester = $1 AND last_sequence >= 2 "
            "ORDER BY received_at DESC LIMIT 1",
            pop.busiest_requester,
        )
        return str(found)
    finally:
        await connection.close()


_CUMULATIVE: dict[int, list[float]] = {}


def _weighted(names: list[str], rng: random.Random, k: int) -> list[str]:
    """`k` draws from `names` with Zipf-like weights (1/rank^0.9)."""
    cumulative = _CUMULATIVE.get(len(names))
    if cumulative is None:
        cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(names))))
        _CUMULATIVE[len(names)] = cumulative
    return rng.choices(names, cum_weights=cumulative, k=k)


async def _copy(connection: asyncpg.Connection, pop: Population) -> dict[str, int]:
    rng = random.Random(20261207)
    items = [f"Bench item {i:04d}, {rng.choice(['valve', 'seal', 'pump', 'gear', 'cable'])}"
             for i in range(3000)]  # fmt: skip
    counts = dict.fromkeys(
        ["request_views", "request_timeline", "request_access", "request_items", "answer_offers"],
        0,
    )
    head = await connection.fetchrow("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
    seq, prev = int(head["last_seq"]), str(head["last_hash"])
    for first in range(0, pop.n, CHUNK):
        size = min(CHUNK, pop.n - first)
        rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in counts}
        audit_rows: list[tuple[Any, ...]] = []
        requesters = _weighted(pop.requesters, rng, size)
        suppliers = _weighted(pop.suppliers, rng, size)
        chunk = _requests(rng, first, size, pop.n, requesters, suppliers, items)
        for i, request in enumerate(chunk):
            for table, found in request.items():
                rows[table].extend(found)
            view = request["request_views"][0]
            seq += 1
            values = {
                "seq": seq,
                "at": view[_AT],
                "actor": view[_REQUESTER],
                "kind": "command:submit",
                "request_id": view[0],
                "details": {"command_id": f"cmd-{first + i:08d}", "via": "bearer"},
                "prev_hash": prev,
            }
            prev = row_hash(**values)
            audit_rows.append(
                (seq, view[_AT], view[_REQUESTER], "command:submit", view[0],
                 json.dumps(values["details"]), values["prev_hash"], prev)
            )  # fmt: skip
        for table, records in rows.items():
            await connection.copy_records_to_table(table, records=records, columns=COLUMNS[table])
            counts[table] += len(records)
        await connection.copy_records_to_table(
            "audit_log", records=audit_rows, columns=AUDIT_COLUMNS
        )
    await connection.execute(
        "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1", seq, prev
    )
    counts["audit_log"] = seq
    return counts


VIEW_COLUMNS = [
    "request_id", "state", "path", "requester", "supplier", "rating", "rating_level", "details",
    "decision", "deadline", "required_delivery_date", "rated_at", "last_sequence",
    "pending_authority", "received_at", "updated_at", "partner_country", "first_answer",
    "answered_at", "answer_hours", "went_late", "ever_accepted",
]  # fmt: skip
_REQUESTER, _AT = VIEW_COLUMNS.index("requester"), VIEW_COLUMNS.index("received_at")
COLUMNS = {
    "request_views": VIEW_COLUMNS,
    "request_timeline": [
        "event_id", "request_id", "sequence", "event_type", "state", "previous_state",
        "decision", "caused_by", "command_type", "specifics", "occurred_at",
    ],
    "request_access": ["request_id", "party_id", "relation"],
    "request_items": ["request_id", "item_key"],
    "answer_offers": ["event_id", "request_id", "delay_days"],
}  # fmt: skip
AUDIT_COLUMNS = ["seq", "at", "actor", "kind", "request_id", "details", "prev_hash", "hash"]
_STATE_NAMES = [s for s, _ in STATES]
_STATE_WEIGHTS = list(itertools.accumulate(w for _, w in STATES))
_PATHS, _PATH_WEIGHTS = ["dpas", "dpas_via_sosa", "voluntary"], [0.6, 0.8, 1.0]
_NOT_ROUTED = {"received", "awaiting_determination", "awaiting_authorization", "rejected"}


def _requests(
    rng: random.Random,
    first: int,
    size: int,
    total: int,
    requesters: list[str],
    suppliers: list[str],
    items: list[str],
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """The rows of each request of one chunk, received in order over the year."""
    for i in range(size):
        index = first + i
        received = START + YEAR * (index / total) + timedelta(microseconds=rng.randint(0, 999))
        yield _request(rng, index, received, requesters[i], suppliers[i], items)


def _request(
    rng: random.Random,
    index: int,
    received: datetime,
    requester: str,
    supplier: str,
    items: list[str],
) -> dict[str, list[tuple[Any, ...]]]:
    request_id = f"bench-{index:08d}"
    state = rng.choices(_STATE_NAMES, cum_weights=_STATE_WEIGHTS)[0]
    country = rng.choice(COUNTRIES)
    path: str | None = rng.choices(_PATHS, cum_weights=_PATH_WEIGHTS)[0]
    if country == "US" and path != "voluntary":
        path = "dpas"
    level = "DO" if rng.random() < 0.85 else "DX"
    rating = None if path == "voluntary" else f"{level}-{rng.choice(PROGRAMS[:24])}"
    required = (received + timedelta(days=rng.randint(60, 240))).date()
    named = list(dict.fromkeys(_weighted(items, rng, rng.choice([1, 1, 2]))))
    details = {
        "requester": {"party_id": requester, "kind": "us_dod", "country": "US"},
        "supplier": {"party_id": supplier, "name": supplier.title(), "country": country},
        "contract_number": f"N00024-26-C-{index:08d}",
        "items": [{"description": d, "quantity": str(rng.randint(1, 400))} for d in named],
        "required_delivery_dates": [required.isoformat()],
        "authorized_signer": "J. Smith, Contracting Officer",
        "certification_statement": CERTIFICATION,
        **({"rating": rating} if rating else {}),
    }
    clock = received + timedelta(minutes=rng.randint(1, 30))
    deadline = clock + timedelta(days=rng.choice([14, 15, 21]))
    partner = None if country == "US" else country
    routed = _decision("dpas_rated_order" if rating else "voluntary_request", rating, required,
                       clock, deadline, partner)  # fmt: skip
    access = [(request_id, requester, "requester"), (request_id, supplier, "supplier")]
    h = _History(request_id, clock)
    if state == "received":
        path = None
    elif state in {"awaiting_determination", "awaiting_authorization", "rejected"}:
        h.decision = _decision(state, rating, required, clock, None, partner)
        h.timeline.append(_event(request_id, 1, state, "received", h.decision, clock))
    else:
        h.answer(rng, state, routed, required, deadline)
    timeline, decision, offers = h.timeline, h.decision, h.offers
    first_answer, answered_at, hours, late, accepted = (
        h.first_answer,
        h.answered_at,
        h.hours,
        h.late,
        h.accepted,
    )
    if state not in _NOT_ROUTED and path is None:
        path = "dpas"
    updated = timeline[-1][-1] if timeline else received
    view = (
        request_id, state, path, requester, supplier, rating, rating[:2] if rating else None,
        json.dumps(details), json.dumps(decision) if decision else None,
        deadline if state not in _NOT_ROUTED else None, required,
        received if rating and state not in _NOT_ROUTED else None, len(timeline), None,
        received, updated, partner or "US", first_answer, answered_at, hours, late,
        accepted or state in ACCEPTING,
    )  # fmt: skip
    return {
        "request_views": [view],
        "request_timeline": timeline,
        "request_access": access,
        "request_items": [(request_id, key) for key in item_keys(named)],
        "answer_offers": offers,
    }


@dataclass
class _History:
    """One request's outcome events, and what the read model keeps of them for the figures."""

    request_id: str
    clock: datetime
    timeline: list[tuple[Any, ...]] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    offers: list[tuple[Any, ...]] = field(default_factory=list)
    first_answer: str | None = None
    answered_at: datetime | None = None
    hours: float | None = None
    late: bool = False
    accepted: bool = False

    def answer(
        self,
        rng: random.Random,
        state: str,
        routed: dict[str, Any],
        required: date,
        deadline: datetime,
    ) -> None:
        """Routed, then the supplier's answer (accepted then fulfilled, for a fulfilled one)."""
        self.decision = routed
        self.timeline.append(_event(self.request_id, 1, "routed", "received", routed, self.clock))
        steps = {"fulfilled": ["accepted", "fulfilled"], "routed": []}.get(state, [state])
        previous, at = "routed", self.clock
        for step in steps:
            at += timedelta(hours=rng.uniform(2, 400))
            offered = None
            if step == "counter_offered" or (step == "accepted" and rng.random() < 0.1):
                offered = required + timedelta(days=rng.randint(-3, 90))
            late = step in ANSWERED and at > deadline
            self.decision = {**routed, "outcome": step, "late": late}
            if offered is not None:
                self.decision["offered_date"] = offered.isoformat()
            sequence = len(self.timeline) + 1
            self.timeline.append(
                _event(self.request_id, sequence, step, previous, self.decision, at)
            )
            previous = step
            self.late = self.late or step == OVERDUE or late
            if step not in ANSWERED:
                continue
            self.accepted = self.accepted or step in ACCEPTING
            if self.first_answer is None:
                self.first_answer, self.answered_at = step, at
                self.hours = (at - self.clock).total_seconds() / 3600
            if offered is not None:
                event_id = f"{self.request_id}-{sequence}"
                self.offers.append((event_id, self.request_id, (offered - required).days))


def _decision(
    outcome: str,
    rating: str | None,
    required: date,
    clock: datetime,
    deadline: datetime | None,
    partner: str | None,
) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "findings": [],
        "rating": rating,
        "required_delivery_dates": [required.isoformat()],
        "clock_started_at": clock.isoformat() if deadline else None,
        "deadline": deadline.isoformat() if deadline else None,
        "partner_country": partner,
        "late": False,
        "ruleset_version": "bench-readside/1",
    }


def _event(
    request_id: str,
    sequence: int,
    state: str,
    previous: str,
    decision: dict[str, Any],
    at: datetime,
) -> tuple[Any, ...]:
    return (
        f"{request_id}-{sequence}", request_id, sequence, TRANSITIONED, state, previous,
        json.dumps(decision), f"{request_id}-cmd-{sequence}", None, None, at,
    )  # fmt: skip
