"""The resilience figures the database computes (`sosa.intake.insights.analytics`) equal their pure
definition (`resilience_figures`, over every request and its whole history read back from the
views and timeline) on a varied population: many suppliers and items, every kind of answer,
counter-offers, late answers, overdue requests, restarted clocks, refused commands, requests never
routed; as an operator and as one party, over all time and over a period. On PostgreSQL and on
SQLite (the same queries). Also: a migration from before the figure columns fills them."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sosa.contracts.outcomes import Parties
from sosa.contracts.parties import Role
from sosa.contracts.states import RequestState, RoutePath
from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.insights import analytics
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.insights.resilience_figures import READ_STATES, Case, Step, with_history
from sosa.intake.views import access
from sosa.intake.views.histogram_keys import MS_PER_HOUR, answer_ms, width_of
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, apply, submit
from tests.integration.intake.test_intake_migrations import migrate
from tests.unit.intake.builders import T0, decision, refused, reminded, transitioned

pytestmark = pytest.mark.db
S = RequestState
SUPPLIERS = ["acme-valves", "bharat-forge", "nihon-seiki", "valveco", "zeta-gears"]
ITEMS = ["Ball valve, 2 inch", "ball  VALVE, 2 inch", "Pump", "Gear set", "Periscope seal"]
RATINGS = ["DO-A3", "DX-A3", "DO-B1", "DX-A1", None]
COUNTRIES = [None, "US", "IN", "JP", "GB"]
OPERATOR = Caller("ops", frozenset({Role.OPERATOR}), "api_key")
SUPPLIER = Caller("nihon-seiki", frozenset({Role.SUPPLIER}), "api_key")


def _history(rng: random.Random, request_id: str, supplier: str, received: datetime) -> list[Any]:
    """A plausible history: routed, then maybe reminders, refusals, answers, overdue, a
    restarted clock; every answer kind, offered dates and late answers among them."""
    parties = Parties(requester="dod-navsea", supplier=supplier)
    path = rng.choice([RoutePath.DPAS, RoutePath.DPAS_VIA_SOSA, RoutePath.VOLUNTARY])
    country = rng.choice(COUNTRIES)
    clock = received + timedelta(minutes=rng.randint(0, 600))
    at = clock
    state = S.ROUTED
    events: list[Any] = [
        transitioned(
            request_id,
            1,
            S.ROUTED,
            S.RECEIVED,
            path=path,
            parties=parties,
            occurred_at=at,
            decision=decision(rating="DO-A3", clock_started_at=clock, partner_country=country),
        )
    ]
    for _ in range(rng.randint(0, 5)):
        at += timedelta(hours=rng.randint(1, 90), microseconds=rng.randint(0, 999_999))
        seq = len(events) + 1
        kind = rng.choice(["answer", "answer", "answer", "overdue", "remind", "refuse", "clock"])
        if kind == "remind":
            events.append(
                reminded(request_id, seq, state, path=path, parties=parties, occurred_at=at)
            )
            continue
        if kind == "refuse":
            events.append(
                refused(request_id, seq, state, path=path, parties=parties, occurred_at=at)
            )
            continue
        if kind == "clock":
            clock = at  # an amendment restarts the clock: the next answer counts from here
            new = S.ROUTED
            fields: dict[str, Any] = {}
        elif kind == "overdue":
            new = S.OVERDUE
            fields = {}
        else:
            new = rng.choice(
                [S.ACCEPTED, S.REJECTED_BY_SUPPLIER, S.COUNTER_OFFERED, S.DECLINED, S.FULFILLED]
            )
            fields = {"late": rng.random() < 0.2}
            if new in (S.COUNTER_OFFERED, S.ACCEPTED) and rng.random() < 0.6:
                fields["offered_date"] = date(2027, 3, 1) + timedelta(days=rng.randint(-5, 60))
                fields["required_delivery_dates"] = [
                    date(2027, 3, 1) + timedelta(days=rng.randint(0, 20)) for _ in range(2)
                ]
        events.append(
            transitioned(
                request_id,
                seq,
                new,
                state,
                path=path,
                parties=parties,
                occurred_at=at,
                decision=decision(
                    rating=rng.choice(["DO-A3", None]),
                    clock_started_at=clock,
                    partner_country=country,
                    **fields,
                ),
            )
        )
        state = new
    return events


async def seed(sessions: Sessions, n: int) -> None:
    rng = random.Random(24)
    for i in range(n):
        supplier = rng.choice(SUPPLIERS)
        received = T0 + timedelta(hours=7 * i)
        body = {
            **DPAS_REQUEST,
            "supplier": {"party_id": supplier, "name": supplier, "country": "US"},
            "contract_number": f"N00024-26-C-{i:04d}",
            "items": [
                {"description": item, "quantity": "1"}
                for item in rng.sample(ITEMS, rng.randint(1, 3))
            ],
        }
        rating = rng.choice(RATINGS)
        if rating is None:
            body.pop("rating")
        else:
            body["rating"] = rating
        request_id = await submit(sessions, body, now=received)
        if rng.random() < 0.1:
            continue  # never routed
        await apply(sessions, _history(rng, request_id, supplier, received))


# --- the pure definition, over every request and its history as stored --------------------


async def cases(session: AsyncSession, where: ColumnElement[bool]) -> list[Case]:
    """Every chosen request with the steps of its history, read back as the figures were
    computed before #24 (one row per request and per step)."""
    v, t = tables.request_views, tables.request_timeline
    views = (await session.execute(select(v).where(where))).all()
    steps: dict[str, list[Step]] = defaultdict(list)
    history = await session.execute(
        select(t.c.request_id, t.c.state, t.c.occurred_at, t.c.decision)
        .join(v, v.c.request_id == t.c.request_id)
        .where(where, t.c.state.in_(sorted(READ_STATES)))
        .order_by(t.c.request_id, t.c.sequence)
    )
    for request_id, state, occurred_at, made in history:
        required = [date.fromisoformat(d) for d in made.get("required_delivery_dates") or []]
        started = made.get("clock_started_at")
        steps[request_id].append(
            Step(
                state=state,
                occurred_at=occurred_at,
                clock_started_at=datetime.fromisoformat(started) if started else None,
                late=bool(made.get("late")),
                offered_date=date.fromisoformat(made["offered_date"])
                if made.get("offered_date")
                else None,
                required_date=min(required) if required else None,
            )
        )
    return [
        with_history(
            Case(
                request_id=row.request_id,
                state=row.state,
                path=row.path,
                supplier=row.supplier,
                partner_country=(row.decision or {}).get("partner_country") or "US",
                rating=row.rating,
                items=tuple(str(i.get("description", "")) for i in row.details.get("items", [])),
            ),
            steps.get(row.request_id, []),
        )
        for row in views
    ]


def same(found: list[Any], expected: list[Any]) -> None:
    """Equal row by row; floats (shares, indexes, medians) to 1e-9."""
    assert len(found) == len(expected), (found, expected)
    for a, b in zip(found, expected, strict=True):
        left, right = asdict(a), asdict(b)
        assert left.keys() == right.keys()
        for key, value in right.items():
            if isinstance(value, dict):
                assert left[key].keys() == value.keys()
                for inner, x in value.items():
                    assert left[key][inner] == pytest.approx(x, abs=1e-9)
            elif isinstance(value, float):
                assert left[key] == pytest.approx(value, abs=1e-9), (key, a, b)
            else:
                assert left[key] == value, (key, a, b)


def within_a_bucket(
    found: list[figures.AnswerTime], expected: list[figures.AnswerTime], population: list[Case]
) -> None:
    """The answer times read from the histograms: the same paths and counts, each median an
    estimate within the width of the bucket of the larger middle value (`histogram_keys`), and
    the estimate's own rounding to the millisecond."""
    assert [(t.path, t.answered) for t in found] == [(t.path, t.answered) for t in expected]
    for estimate, exact in zip(found, expected, strict=True):
        hours = sorted(
            (c.answered_at - c.clock_started_at).total_seconds() / 3600
            for c in population
            if c.path == exact.path and c.answered_at and c.clock_started_at
        )
        n = len(hours)
        middle = max(abs(hours[(n - 1) // 2]), abs(hours[n // 2]))
        bound = (width_of(answer_ms(middle)) + 1) / MS_PER_HOUR
        assert abs(estimate.median_hours - exact.median_hours) <= bound, (estimate, exact)


REQUESTER = Caller("dod-navsea", frozenset({Role.REQUESTER}), "api_key")
PERIODS = [
    (None, None),
    (T0 + timedelta(days=3), T0 + timedelta(days=12)),
    # partial days at either end (counted from the views), whole days between (the roll-ups)
    (T0 + timedelta(days=3, hours=5), T0 + timedelta(days=12, hours=13)),
    (T0 + timedelta(days=5, hours=2), None),
    (None, T0 + timedelta(days=9, hours=22, minutes=30)),
    (T0 + timedelta(days=4, hours=1), T0 + timedelta(days=4, hours=20)),  # within one day
]


@pytest.mark.parametrize(
    "who", [OPERATOR, SUPPLIER, REQUESTER], ids=["operator", "supplier", "requester"]
)
async def test_the_figures_the_database_computes_equal_their_definition(
    sessions: Sessions, who: Caller
) -> None:
    await seed(sessions, 90)
    async with sessions() as session:
        for since, until in PERIODS:
            where = analytics.chosen(who, since, until)
            population = await cases(session, where.where)
            assert await analytics.population(session, where) == len(population)
            assert population or (since, until) not in PERIODS[:2]  # something to compare
            for dimension in ("program", "item"):
                same(
                    await analytics.concentration(session, where, dimension),
                    figures.concentration(population, dimension),
                )
                same(
                    await analytics.redundancy_gaps(session, where, dimension),
                    figures.redundancy_gaps(population, dimension),
                )
                limited = [
                    analytics.largest_shares(c, 2)
                    for c in figures.concentration(population, dimension)
                ]
                same(await analytics.concentration(session, where, dimension, 2), limited)
            for group_by in figures.GROUPS:
                same(
                    await analytics.rates(session, where, group_by),
                    figures.rates(population, group_by),
                )
            within_a_bucket(
                await analytics.answer_times(session, where),
                figures.answer_times(population),
                population,
            )
            delays = await analytics.counter_offer_delays(session, where)
            same(delays, figures.counter_offer_delays(population))
            assert [type(d.median_days) for d in delays] == [
                type(d.median_days) for d in figures.counter_offer_delays(population)
            ]
    # the population is varied enough to test something
    async with sessions() as session:
        everyone = await cases(session, and_(access.visible(OPERATOR)))
    assert {c.first_answer for c in everyone} >= {None, *figures.ANSWERED}
    assert any(c.late and c.first_answer for c in everyone)
    assert sum(len(c.offers) for c in everyone) >= 5
    assert len({c.partner_country for c in everyone}) >= 4


async def test_a_database_migrated_from_before_the_figures_gets_them(engine: AsyncEngine) -> None:
    """Requests stored and answered before revision 0007 get their figure columns, items and
    offers from their details and timeline when it runs: the figures equal their definition."""
    from sosa.infra import db

    await migrate(engine, "upgrade", "head")
    sessions = db.sessionmaker(engine)
    await seed(sessions, 40)
    async with sessions() as session:
        where = analytics.chosen(OPERATOR, None, None)
        before = {
            "rates": await analytics.rates(session, where, "supplier"),
            "gaps": await analytics.redundancy_gaps(session, where, "item"),
            "offers": await analytics.counter_offer_delays(session, where),
            "times": await analytics.answer_times(session, where),
        }
    await migrate(engine, "downgrade", "3c8e5a1f7b06")
    await migrate(engine, "upgrade", "head")
    async with sessions() as session:
        population = await cases(session, where.where)
        same(
            await analytics.rates(session, where, "supplier"), figures.rates(population, "supplier")
        )
        same(
            await analytics.redundancy_gaps(session, where, "item"),
            figures.redundancy_gaps(population, "item"),
        )
        same(await analytics.counter_offer_delays(session, where), before["offers"])
        same(await analytics.answer_times(session, where), before["times"])
        within_a_bucket(before["times"], figures.answer_times(population), population)
        same(await analytics.rates(session, where, "supplier"), before["rates"])
        same(await analytics.redundancy_gaps(session, where, "item"), before["gaps"])
