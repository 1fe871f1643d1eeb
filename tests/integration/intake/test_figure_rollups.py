"""The figure roll-ups and histograms (`sosa.intake.views.rollups`) equal what their definition
(`rollup_keys`, `histogram_keys`) counts over the views, the offers and who may see them, after a
varied population projected the hard way: two projections at once on different requests (two
intake replicas), batches delivered again, events out of order, duplicates within a batch, a
liaison granted access after the offers were made. And the migrations' set-based backfills give
the very rows the projection kept. On PostgreSQL and on SQLite."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.outcomes import Parties
from sosa.contracts.parties import Role
from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import analytics
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.views.histogram_keys import ALL_SUPPLIERS, ANSWER_MS, OFFER_DAYS
from sosa.intake.views.rollup_keys import (
    COUNTS,
    PAIR_COUNTS,
    SUMMARY_COUNTS,
    VIEW_COLUMNS,
    Changes,
    Counted,
)
from sosa.intake.views.rollups import scopes
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, submit
from tests.integration.intake.test_analytics_figures import (
    ITEMS,
    RATINGS,
    SUPPLIERS,
    _history,
    cases,
)
from tests.unit.intake.builders import T0, reminded

pytestmark = pytest.mark.db
ROLLUPS = (
    tables.figure_counts,
    tables.figure_counts_daily,
    tables.figure_histograms,
    tables.figure_histograms_daily,
)
LIAISON = "in-liaison"
PAIRED = ((tables.figure_pairs, PAIR_COUNTS), (tables.figure_summaries, SUMMARY_COUNTS))
OPERATOR = Caller("ops", frozenset({Role.OPERATOR}), "api_key")


async def _submitted(sessions: Sessions, rng: random.Random, n: int) -> list[list[Any]]:
    """n requests submitted over several days; the histories of those that will be routed."""
    histories: list[list[Any]] = []
    for i in range(n):
        supplier = rng.choice(SUPPLIERS)
        received = T0 + timedelta(hours=5 * i)
        body = {
            **DPAS_REQUEST,
            "supplier": {"party_id": supplier, "name": supplier, "country": "US"},
            "contract_number": f"N00024-26-C-{i:04d}",
            "items": [
                {"description": item, "quantity": "1"}
                for item in rng.sample(ITEMS, rng.randint(1, 2))
            ],
        }
        rating = rng.choice(RATINGS)
        if rating is None:
            body.pop("rating")
        else:
            body["rating"] = rating
        request_id = await submit(sessions, body, now=received)
        if rng.random() < 0.15:
            continue  # never routed
        history = _history(rng, request_id, supplier, received)
        if rng.random() < 0.4:  # a liaison named last: it gains the request and its offers
            history.append(_naming_a_liaison(history[-1], supplier))
        histories.append(history)
    return histories


async def _population(sessions: Sessions, n: int) -> None:
    """n requests over several days; their histories applied by two projections at once, in
    batches mixing requests, some delivered twice or out of order."""
    rng = random.Random(2424)
    histories = await _submitted(sessions, rng, n)

    async def replica(mine: list[list[Any]]) -> None:
        """One replica's partitions: each request's events in order, several requests a batch."""
        pending = [list(h) for h in mine]
        delivered: list[Any] = []
        while any(pending):
            batch: list[Any] = []
            for events in rng.sample(pending, min(3, len(pending))):
                take = rng.randint(1, 2)
                batch += events[:take]
                del events[:take]
            if delivered and rng.random() < 0.3:  # a batch delivered again after a crash
                batch = delivered[-rng.randint(1, len(delivered)) :] + batch
            if batch and rng.random() < 0.2:  # the same event twice in one batch
                batch.append(batch[0])
            by_request: dict[str, list[Any]] = {}
            for event in batch:  # one request's events in partition order, duplicates kept
                by_request.setdefault(event.request_id, []).append(event)
            ordered = [e for events in by_request.values() for e in events]
            await apply(sessions, ordered)
            delivered += [e for e in batch if e not in delivered]
        late = [e for h in mine for e in h[:1]]  # old events arriving after newer ones
        await apply(sessions, late)

    half = len(histories) // 2
    await asyncio.gather(replica(histories[:half]), replica(histories[half:]))


def _naming_a_liaison(last: Any, supplier: str) -> Any:
    return reminded(
        last.request_id,
        last.sequence + 1,
        last.state,
        path=last.path,
        parties=Parties(requester="dod-navsea", supplier=supplier, liaison=LIAISON),
        occurred_at=last.occurred_at + timedelta(hours=1),
    )


async def _kept(session: AsyncSession, table: Table) -> dict[tuple[Any, ...], tuple[int, ...]]:
    keys = list(table.primary_key.columns)
    rows = await session.execute(select(*keys, *(c for c in table.columns if not c.primary_key)))
    return {
        tuple(row[: len(keys)]): tuple(int(n) for n in row[len(keys) :])
        for row in rows
        if any(row[len(keys) :])
    }


async def _defined(session: AsyncSession) -> list[dict[tuple[Any, ...], tuple[int, ...]]]:
    """The roll-ups and histograms as `rollup_keys` defines them, counted over the views and
    offers read back."""
    v, a, o = tables.request_views, tables.request_access, tables.answer_offers
    parties: dict[str, set[str]] = {}
    for request_id, party_id in await session.execute(select(a.c.request_id, a.c.party_id)):
        parties.setdefault(request_id, set()).add(party_id)
    offers: dict[str, list[int]] = {}
    for request_id, days in await session.execute(select(o.c.request_id, o.c.delay_days)):
        offers.setdefault(request_id, []).append(days)
    changes = Changes()
    for row in await session.execute(select(*(v.c[n] for n in VIEW_COLUMNS))):
        view, seeing = Counted.of(row._mapping), scopes(parties.get(row.request_id, ()))
        changes.count(view, seeing)
        changes.offers(view, offers.get(row.request_id, []), seeing)
    found = []
    for rows, table in zip((*changes.rows(), *changes.histogram_rows()), ROLLUPS, strict=True):
        names = [c.name for c in table.primary_key.columns]
        sums = [c.name for c in table.columns if not c.primary_key]
        found.append({tuple(r[k] for k in names): tuple(r[n] for n in sums) for r in rows})
    return found


def _migration_fill() -> Any:
    """`fill` of the migrations that made the roll-ups and the histograms (the backfills the
    seeder runs too)."""
    fills = []
    for name in ("0008_figure_rollups.py", "0010_figure_histograms.py"):
        path = next(Path(tables.__file__).parent.glob(f"migrations/versions/{name}"))
        spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fills.append(module.fill)

    def fill(connection: Any) -> None:
        for each in fills:
            each(connection)

    return fill


async def _kept_pairs(session: AsyncSession) -> list[dict[tuple[Any, ...], tuple[int, ...]]]:
    return [await _kept(session, table) for table, _ in PAIRED]


async def _defined_pairs(session: AsyncSession) -> list[dict[tuple[Any, ...], tuple[int, ...]]]:
    """The pairs as `rollup_keys` defines them over the views, their items and who may see
    them, and the summaries folded from those pairs by hand (not by `summary_delta`): the
    requests, the rated ones, the sum of squared rated counts, the suppliers with a rated one
    and those with an accepted one."""
    v, a, i = tables.request_views, tables.request_access, tables.request_items
    parties: dict[str, set[str]] = {}
    for request_id, party_id in await session.execute(select(a.c.request_id, a.c.party_id)):
        parties.setdefault(request_id, set()).add(party_id)
    items: dict[str, list[str]] = {}
    for request_id, item in await session.execute(select(i.c.request_id, i.c.item_key)):
        items.setdefault(request_id, []).append(item)
    changes = Changes()
    for row in await session.execute(select(*(v.c[n] for n in VIEW_COLUMNS))):
        changes.count(
            Counted.of(row._mapping, items.get(row.request_id, ())),
            scopes(parties.get(row.request_id, ())),
        )
    pairs = {
        (r["scope"], r["dimension"], r["key"], r["supplier"]): tuple(r[n] for n in PAIR_COUNTS)
        for r in changes.pair_rows()
    }
    summaries: dict[tuple[Any, ...], list[int]] = {}
    for (scope, dimension, key, _), (requests, rated, accepted) in pairs.items():
        into = summaries.setdefault((scope, dimension, key), [0] * len(SUMMARY_COUNTS))
        for index, n in enumerate((requests, rated, rated * rated, rated > 0, accepted > 0)):
            into[index] += int(n)
    return [pairs, {key: tuple(counts) for key, counts in summaries.items()}]


def _pairs_fill() -> Any:
    """`fill` of the migration that made the figure pairs and summaries (0009)."""
    path = next(Path(tables.__file__).parent.glob("migrations/versions/0009_figure_pairs.py"))
    spec = importlib.util.spec_from_file_location("figure_pairs_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill


async def test_the_rollups_count_what_their_definition_counts(sessions: Sessions) -> None:
    await _population(sessions, 70)
    async with sessions() as session:
        kept = [await _kept(session, t) for t in ROLLUPS]
        assert kept == await _defined(session)
    total = kept[0]
    # varied enough to test something: every count moved, parties' scopes and several days
    assert all(any(counts[i] for counts in total.values()) for i in range(len(COUNTS)))
    assert {scope for scope, *_ in total} >= {"*", "dod-navsea", *SUPPLIERS}
    assert len({key[2] for key in kept[1]}) >= 10  # days (scope, dimension, day, key, subkey)
    assert total[("*", "state", "received", "")][0] > 0  # never routed
    assert {key[3] for key in total if key[1] == "program"} >= set(SUPPLIERS[:3])
    spread = kept[2]  # (scope, figure, key, bucket): (n, total)
    assert {(s, f) for s, f, *_ in spread} >= {
        ("*", ANSWER_MS),
        ("*", OFFER_DAYS),
        (LIAISON, ANSWER_MS),
        (LIAISON, OFFER_DAYS),
    }
    assert {k for s, f, k, _ in spread if s == "*" and f == OFFER_DAYS} > {ALL_SUPPLIERS}
    assert any(n > 1 for n, _ in spread.values())  # buckets holding several values
    async with sessions() as session:
        pairs, summaries = await _kept_pairs(session)
        assert [pairs, summaries] == await _defined_pairs(session)
    # varied: program and item pairs in the parties' scopes, gaps and not
    assert {(scope, dimension) for scope, dimension, *_ in pairs} >= {
        (scope, dimension) for scope in ("*", "dod-navsea") for dimension in ("program", "item")
    }
    assert {0, 1} <= {counts[4] for counts in summaries.values()}  # gaps (0 or 1 accepting)
    assert any(counts[4] >= 2 for counts in summaries.values())  # and not
    assert any(counts[3] > 1 for counts in summaries.values())


async def test_the_figures_pages_from_the_summaries_equal_their_definition(
    sessions: Sessions,
) -> None:
    """The first rows of concentration and gaps, as the API asks for them (a `limit` of rows
    and of shares), and the CSV export's chunks, equal the definition's first rows."""
    await _population(sessions, 60)
    supplier = Caller("nihon-seiki", frozenset({Role.SUPPLIER}), "api_key")
    async with sessions() as session:
        for caller in (OPERATOR, supplier):
            chosen = analytics.chosen(caller, None, None)
            population = await cases(session, chosen.where)
            for dimension in ("program", "item"):
                every = figures.concentration(population, dimension)
                gaps = figures.redundancy_gaps(population, dimension)
                assert len(every) > (2 if dimension == "item" else 0)  # (routed: all DO-A3)
                for rows in (1, 3, None):
                    page = await analytics.concentration_page(session, chosen, dimension, rows, 2)
                    assert page.total == len(every)
                    assert page.rows == [analytics.largest_shares(c, 2) for c in every[:rows]]
                    gap_page = await analytics.gaps_page(session, chosen, dimension, rows)
                    assert (gap_page.total, gap_page.rows) == (len(gaps), gaps[:rows])
                total, chunks = await analytics.concentration_chunks(
                    session, chosen, dimension, None, None
                )
                streamed = [row async for chunk in chunks for row in chunk]
                assert (total, streamed) == (len(every), every)


async def test_the_backfill_gives_the_rows_the_projection_kept(sessions: Sessions) -> None:
    await _population(sessions, 40)
    async with sessions() as session, session.begin():
        kept = [await _kept(session, t) for t in ROLLUPS] + await _kept_pairs(session)
        for table in (*ROLLUPS, *(t for t, _ in PAIRED)):
            await session.execute(delete(table))
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.run_sync(_migration_fill())
        await connection.run_sync(_pairs_fill())
    async with sessions() as session:
        assert [await _kept(session, t) for t in ROLLUPS] + await _kept_pairs(session) == kept
    assert all(kept)


async def test_a_party_holding_a_relation_its_roles_do_not_allow_is_counted_from_the_views(
    sessions: Sessions,
) -> None:
    """The supplier's scope counts every request it has access to; once it also holds a
    relation its roles do not allow (a liaison's, here), what it may see is counted from the
    views (`rollup_reads`), and the figures still equal their definition."""
    await _population(sessions, 30)
    supplier = Caller("nihon-seiki", frozenset({Role.SUPPLIER}), "api_key")
    async with sessions() as session, session.begin():
        other = (
            await session.execute(
                select(tables.request_views.c.request_id)
                .where(tables.request_views.c.supplier != supplier.party_id)
                .limit(1)
            )
        ).scalar_one()
        await session.execute(
            tables.request_access.insert().values(
                request_id=other, party_id=supplier.party_id, relation="liaison"
            )
        )
        # counted again: the supplier's scope now holds that request
        for table in (*ROLLUPS, *(t for t, _ in PAIRED)):
            await session.execute(delete(table))
        await (await session.connection()).run_sync(_migration_fill())
        await (await session.connection()).run_sync(_pairs_fill())
    async with sessions() as session:
        for since, until in ((None, None), (T0 + timedelta(days=2, hours=3), None)):
            chosen = analytics.chosen(supplier, since, until)
            population = await cases(session, chosen.where)
            assert other not in {c.request_id for c in population}
            assert await analytics.population(session, chosen) == len(population) > 0
            for group_by in figures.GROUPS:
                assert await analytics.rates(session, chosen, group_by) == figures.rates(
                    population, group_by
                )
            for dimension in ("program", "item"):
                assert await analytics.concentration(
                    session, chosen, dimension
                ) == figures.concentration(population, dimension)
                assert await analytics.redundancy_gaps(
                    session, chosen, dimension
                ) == figures.redundancy_gaps(population, dimension)
