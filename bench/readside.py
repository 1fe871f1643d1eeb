"""Scenario e: the read side at scale (#24). For each size (10k, 100k and 1M requests by default;
`--sizes` or SOSA_BENCH_READSIDE_SIZES choose others), a population seeded straight into intake's
tables (bench/readside_seed.py), intake started on it, then, as the operator and as a party (the
busiest requester, the busiest supplier):

- every dashboard, analytics, list (the first page and a deep cursor page, half way through),
  timeline and work-order call, each timed `repeats` times after one warm-up (the median); the
  CSV export, streamed, to its first byte (the target) and to its last (a row of its own);
  meanwhile /healthz is probed every 50 ms (each probe over 100 ms is printed with the calls
  under way then), and intake's own loop-lag histogram (`sosa_event_loop_lag_seconds`, a timer
  every 25 ms) is read before and after: how often the serving loop was held 50 ms or more
  (the target: never, #24's "nothing heavy on the serving loop");
- `audit verify` over the whole chain (in process, the CLI's own `audit.verify`);
- intake's submit p99 (wrk, 8 connections in a closed loop), without and then with a dashboard
  polling as the page does (static/dashboard.js): every 5 s its summary, posture and pipeline,
  and every 15 s the five default analytics figures at once; then also with a dashboard polling
  back to back (the summary and the five figures, no pause: a harsher load than an open page,
  labelled "back to back").

Then one table: each call's median at each size and the fitted growth exponent (the slope of
log time over log size; 1 is linear), with the targets of #24: every call under 250 ms at 1M
requests, growth sub-linear (exponent < 1), submit p99 with the dashboard <= 1.5 x without,
intake's loop never held 50 ms or more during the calls at any size.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.measure import latency_ms
from bench.readside_seed import Population, seeded
from bench.targets import Target, below
from bench.wrk import post_load
from sosa.infra import db
from sosa.intake import audit
from sosa.intake.views.cursor import Position, encode_cursor
from sosa.intake.views.list_filters import ListFilters
from tests.e2e.credentials import OPERATOR, token
from tests.faults.support import services

DASHBOARD_FIGURES = [
    ("concentration", {"by": "program"}),
    ("redundancy-gaps", {"by": "program"}),
    ("rates", {"group_by": "partner_country"}),
    ("answer-times", {}),
    ("counter-offers", {}),
]
"""What the dashboard's resilience panel asks for when it opens (static/dashboard.js)."""
ANALYTICS = [
    ("concentration", {"by": "program"}),
    ("concentration", {"by": "item"}),
    ("redundancy-gaps", {"by": "program"}),
    ("redundancy-gaps", {"by": "item"}),
    ("rates", {"group_by": "partner_country"}),
    ("rates", {"group_by": "supplier"}),
    ("rates", {"group_by": "rating_level"}),
    ("answer-times", {}),
    ("counter-offers", {}),
]


@dataclass(frozen=True)
class Call:
    name: str
    who: str
    """operator, requester (the busiest) or supplier (the busiest)."""
    path: str
    params: dict[str, str] = field(default_factory=dict)
    streamed: bool = False
    """A streamed answer (the CSV export): timed to its first byte (the 250 ms target) and, as
    a row of its own that is not a target, to its last."""

    @property
    def label(self) -> str:
        return f"{self.name}{', first byte' if self.streamed else ''} [{self.who}]"

    @property
    def whole_label(self) -> str:
        return f"{self.name}, whole export [{self.who}]"


def calls(pop: Population, middle: Position) -> list[Call]:
    deep = encode_cursor(middle, ListFilters().key())
    found = [Call("dashboard summary", who, "/v1/dashboard/summary") for who in WHO]
    for who in ("operator", "requester"):
        for figure, params in ANALYTICS:
            shown = " ".join([figure, *params.values()])
            found.append(Call(f"analytics {shown}", who, f"/v1/analytics/{figure}", params))
    found += [
        Call(
            "analytics concentration item CSV",
            "operator",
            "/v1/analytics/concentration",
            {"by": "item", "format": "csv"},
            streamed=True,
        ),
        *(Call("list first page", who, "/v1/priority-requests") for who in WHO[:2]),
        *(
            Call("list deep page", who, "/v1/priority-requests", {"cursor": deep})
            for who in WHO[:2]
        ),
        Call("list state=overdue", "operator", "/v1/priority-requests", {"state": "overdue"}),
        *(
            Call("timeline (one request)", who, f"/v1/priority-requests/{pop.sample_request}")
            for who in WHO[:2]
        ),
        *(
            Call("work order", who, f"/v1/suppliers/{pop.busiest_supplier}/work-order")
            for who in ("operator", "supplier")
        ),
    ]
    return found


WHO = ["operator", "requester", "supplier"]


def credentials(pop: Population) -> dict[str, dict[str, str]]:
    return {
        "operator": {"Authorization": f"Bearer {token(OPERATOR, 'operator')}"},
        "requester": {"Authorization": f"Bearer {token(pop.busiest_requester, 'requester')}"},
        "supplier": {"Authorization": f"Bearer {token(pop.busiest_supplier, 'supplier')}"},
    }


@dataclass
class SizeRun:
    n: int
    seed_seconds: float
    times_ms: dict[str, float] = field(default_factory=dict)
    whole_ms: dict[str, float] = field(default_factory=dict)
    """A streamed call's whole answer (not a target: its first byte is)."""
    statuses: dict[str, int] = field(default_factory=dict)
    healthz: dict[str, Any] = field(default_factory=dict)
    healthz_idle: dict[str, Any] = field(default_factory=dict)
    healthz_slow: list[dict[str, Any]] = field(default_factory=list)
    """Each /healthz probe over SLOW_PROBE_S during the calls, with the calls under way then:
    which call held the serving loop (or the machine) when a probe waited."""
    loop_lag: dict[float, int] = field(default_factory=dict)
    """Intake's own `sosa_event_loop_lag_seconds` during the calls: how many of its 25 ms
    timers ran at least each bucket's bound late (`LAG_BOUNDS_S`)."""
    audit_verify_s: float = 0.0
    audit_rows: int = 0
    submit: dict[str, Any] = field(default_factory=dict)


SLOW_PROBE_S = 0.1
LAG_BOUNDS_S = (0.01, 0.025, 0.05, 0.1)
"""The loop lags counted (at least 10, 25, 50, 100 ms late); the target: none of 50 ms."""
HELD_S = 0.05


async def loop_lag_over(client: httpx.AsyncClient) -> dict[float, int]:
    """From intake's /metrics: how many loop-lag observations so far were over each bound of
    LAG_BOUNDS_S (the histogram's total minus its bucket at the bound), and under 0.0 all."""
    text = (await client.get("/metrics")).text
    buckets: dict[float, float] = {}
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "sosa_event_loop_lag_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                buckets[float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_count"):
                total = sample.value
    return {bound: int(total - buckets.get(bound, 0.0)) for bound in (0.0, *LAG_BOUNDS_S)}


def slow_probes(
    probes: list[tuple[float, float]], spans: list[tuple[str, float, float]]
) -> list[dict[str, Any]]:
    """The probes that took over SLOW_PROBE_S, each with the labels of the calls that overlapped
    it (`spans`: label, start, end; `probes`: start, seconds)."""
    found = []
    for started, took in probes:
        if took <= SLOW_PROBE_S:
            continue
        during = sorted({label for label, s, e in spans if s < started + took and e > started})
        found.append({"ms": round(took * 1000, 1), "during": during})
    return found


async def timed_calls(url: str, pop: Population, repeats: int, middle: Position) -> SizeRun:
    run = SizeRun(pop.n, 0.0)
    who = credentials(pop)
    async with probing(url) as idle:
        await asyncio.sleep(5)  # the anchor: /healthz with nothing else asked of intake
    run.healthz_idle = latency_ms(took for _, took in idle)
    spans: list[tuple[str, float, float]] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=300) as client,
        probing(url) as probe,
    ):
        lag_before = await loop_lag_over(client)
        for call in calls(pop, middle):
            lag_before_call = await loop_lag_over(client)
            times, wholes = [], []
            for attempt in range(repeats + 1):
                started = time.perf_counter()
                async with client.stream(
                    "GET", call.path, params=call.params, headers=who[call.who]
                ) as answer:
                    chunks = answer.aiter_bytes()
                    await anext(chunks, b"")
                    first = time.perf_counter() - started
                    async for _ in chunks:
                        pass
                whole = time.perf_counter() - started
                spans.append((call.label, started, started + whole))
                if attempt:
                    times.append(first if call.streamed else whole)
                    wholes.append(whole)
                run.statuses[call.label] = answer.status_code
            run.times_ms[call.label] = round(statistics.median(times) * 1000, 1)
            held = (await loop_lag_over(client))[HELD_S] - lag_before_call[HELD_S]
            print(
                f"  [e] {pop.n:>9,}  {call.label:<58} {run.times_ms[call.label]:>9.1f} ms"
                + (f"  (intake's loop {HELD_S * 1000:g} ms late {held} times)" if held else "")
            )
            if call.streamed:
                run.whole_ms[call.whole_label] = round(statistics.median(wholes) * 1000, 1)
                shown = run.whole_ms[call.whole_label]
                print(f"  [e] {pop.n:>9,}  {call.whole_label:<58} {shown:>9.1f} ms")
        lag_after = await loop_lag_over(client)
    run.loop_lag = {bound: lag_after[bound] - lag_before[bound] for bound in LAG_BOUNDS_S}
    print(
        f"  [e] {pop.n:>9,}  intake's loop during the calls, of {lag_after[0.0] - lag_before[0.0]}"
        " timers, late by at least "
        + ", ".join(f"{b * 1000:g} ms: {n}" for b, n in run.loop_lag.items())
    )
    run.healthz = latency_ms(took for _, took in probe)
    run.healthz_slow = slow_probes(probe, spans)
    for slow in run.healthz_slow:
        print(
            f"  [e] {pop.n:>9,}  /healthz took {slow['ms']} ms during: {', '.join(slow['during'])}"
        )
    return run


@contextlib.asynccontextmanager
async def probing(url: str) -> AsyncIterator[list[tuple[float, float]]]:
    """/healthz every 50 ms while the calls run: when each probe started
    (`time.perf_counter`) and how long its answer took, in seconds."""
    found: list[tuple[float, float]] = []

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            while True:
                started = time.perf_counter()
                await client.get("/healthz")
                found.append((started, time.perf_counter() - started))
                await asyncio.sleep(0.05)

    task = asyncio.create_task(probe())
    try:
        yield found
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def middle_of(db_url: str) -> Position:
    engine = db.create_engine(db_url)
    try:
        async with engine.connect() as connection:
            from sqlalchemy import func, select

            from sosa.intake import tables

            v = tables.request_views
            total = (await connection.execute(select(func.count()).select_from(v))).scalar_one()
            row = (
                await connection.execute(
                    select(v.c.received_at, v.c.request_id)
                    .order_by(v.c.received_at, v.c.request_id)
                    .offset(total // 2)
                    .limit(1)
                )
            ).one()
        return Position(received_at=row.received_at, request_id=row.request_id)
    finally:
        await engine.dispose()


async def verify_audit(db_url: str) -> tuple[float, int]:
    engine = db.create_engine(db_url)
    try:
        sessions = db.sessionmaker(engine)
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            verdict = await audit.verify(session, checkpoint=None)
        seconds = time.perf_counter() - started
        if not verdict.ok:
            raise RuntimeError(f"audit verify on the seeded chain: {verdict.detail}")
        return seconds, verdict.rows
    finally:
        await engine.dispose()


PAGE_REFRESH_S = 5.0
"""static/dashboard.js: `setInterval(refreshAll, 5000)` (summary, posture, pipeline...)."""
PAGE_FIGURES_S = 15.0
"""static/dashboard.js: the analytics at most every 15 s, the five figures at once."""


async def submit_p99(
    url: str, seconds: float, *, polling: str | None, pop: Population
) -> dict[str, Any]:
    """wrk's submit latency, alone or with an operator's dashboard polling: `page` as the page
    does (static/dashboard.js), `back-to-back` the summary and five figures with no pause."""
    stop = asyncio.Event()
    refreshes: list[float] = []

    async def page(client: httpx.AsyncClient) -> None:
        figures_at = -PAGE_FIGURES_S
        while not stop.is_set():
            started = time.perf_counter()
            asked = [
                client.get("/v1/dashboard/summary", params={"working_days": "3"}),
                client.get("/v1/posture"),
                client.get("/v1/dashboard/pipeline"),
            ]
            if started - figures_at >= PAGE_FIGURES_S:
                figures_at = started
                asked += [client.get(f"/v1/analytics/{f}", params=p) for f, p in DASHBOARD_FIGURES]
            await asyncio.gather(*asked)
            refreshes.append(time.perf_counter() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PAGE_REFRESH_S)

    async def back_to_back(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await client.get("/v1/dashboard/summary", params={"working_days": "3"})
            for figure, params in DASHBOARD_FIGURES:
                await client.get(f"/v1/analytics/{figure}", params=params)
            refreshes.append(time.perf_counter() - started)

    async def dashboard() -> None:
        headers = credentials(pop)["operator"]
        async with httpx.AsyncClient(base_url=url, timeout=300, headers=headers) as client:
            await (page(client) if polling == "page" else back_to_back(client))

    poller = asyncio.create_task(dashboard()) if polling else None
    try:
        run = await post_load(
            f"{url}/v1/priority-requests",
            token("dod-navsea", "requester"),
            seconds=seconds,
            connections=8,
        )
    finally:
        stop.set()
        if poller is not None:
            await poller
    return {
        "accepted_per_s": run.accepted_per_s,
        "statuses": run.statuses,
        **run.latency_ms,
        "dashboard_refreshes": len(refreshes),
        "dashboard_refresh_s": round(statistics.median(refreshes), 2) if refreshes else None,
    }


async def one_size(
    kafka: str, admin_url: str, n: int, logs: Any, repeats: int, submit_seconds: float
) -> SizeRun:
    print(f"  [e] seeding {n:,} requests (or reusing them)")
    db_url, pop, seed_s = await seeded(admin_url, n)
    print(f"  [e] {n:,} requests ready ({seed_s:.0f} s spent seeding)")
    middle = await middle_of(db_url)
    (logs / f"e-{n}").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sosa-bench-e-") as scratch:
        databases = {
            "intake": db_url,
            "router": f"sqlite+aiosqlite:///{scratch}/router.db",
            "notifier": f"sqlite+aiosqlite:///{scratch}/notifier.db",
        }
        async with services(
            kafka=kafka, databases=databases, logs=logs / f"e-{n}", start=["intake"]
        ) as stack:
            url = stack.url("intake")
            run = await timed_calls(url, pop, repeats, middle)
            run.seed_seconds = seed_s
            run.audit_verify_s, run.audit_rows = await verify_audit(db_url)
            print(f"  [e] {n:,}: audit verify {run.audit_rows:,} rows {run.audit_verify_s:.1f} s")
            alone = await submit_p99(url, submit_seconds, polling=None, pop=pop)
            polled = await submit_p99(url, submit_seconds, polling="page", pop=pop)
            harsh = await submit_p99(url, submit_seconds, polling="back-to-back", pop=pop)
            run.submit = {"alone": alone, "dashboard_polling": polled, "back_to_back": harsh}
            print(
                f"  [e] {n:,}: submit alone {alone}; with a dashboard page polling {polled}; "
                f"with a dashboard polling back to back {harsh}"
            )
    return run


def exponent(sizes: list[int], times: list[float]) -> float | None:
    """Least-squares slope of log(time) over log(size)."""
    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, times, strict=True) if t > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return round(sum((x - mx) * (y - my) for x, y in points) / var, 2) if var else None


def table(runs: list[SizeRun]) -> str:
    sizes = [r.n for r in runs]
    labels = list(runs[0].times_ms)
    head = ["call", *(f"{n:,}" for n in sizes), "exponent"]
    rows = [head]
    for label in labels:
        times = [r.times_ms[label] for r in runs]
        slope = exponent(sizes, times)
        rows.append([label, *(f"{t:.1f}" for t in times), "" if slope is None else f"{slope}"])
    for label in runs[0].whole_ms:  # not targets: a streamed answer's first byte is
        times = [r.whole_ms[label] for r in runs]
        slope = exponent(sizes, times)
        rows.append([label, *(f"{t:.1f}" for t in times), "" if slope is None else f"{slope}"])
    rows.append(["audit verify (s)", *(f"{r.audit_verify_s:.1f}" for r in runs), ""])
    for key, name in (
        ("alone", "submit p99 alone"),
        ("dashboard_polling", "submit p99, a dashboard page polling (5 s / 15 s)"),
        ("back_to_back", "submit p99, a dashboard polling back to back"),
    ):
        rows.append([name, *(f"{r.submit.get(key, {}).get('p99_ms', 0):.1f}" for r in runs), ""])
    for key, name in (("p99_ms", "p99"), ("max_ms", "max")):
        rows.append(
            [f"/healthz {name}, idle", *(f"{r.healthz_idle.get(key, 0)}" for r in runs), ""]
        )
        rows.append(
            [f"/healthz {name}, during the calls", *(f"{r.healthz.get(key, 0)}" for r in runs), ""]
        )
    for bound in LAG_BOUNDS_S:
        rows.append(
            [
                f"intake's loop {bound * 1000:g} ms late or more (timers)",
                *(f"{r.loop_lag.get(bound, 0)}" for r in runs),
                "",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


def targets(runs: list[SizeRun]) -> list[Target]:
    largest = runs[-1]
    sizes = [r.n for r in runs]
    found = [
        below(f"e: {label} at {largest.n:,}", ms, "ms", 250)
        for label, ms in largest.times_ms.items()
    ]
    for label in largest.times_ms:
        slope = exponent(sizes, [r.times_ms[label] for r in runs])
        if slope is not None:
            found.append(Target(f"e: {label} growth", slope, "", "exponent < 1", met=slope < 1))
    found += [
        Target(
            f"e: intake's loop held {HELD_S * 1000:g} ms or more during the calls at {r.n:,}",
            r.loop_lag.get(HELD_S, 0),
            "times",
            "0",
            met=r.loop_lag.get(HELD_S, 0) == 0,
        )
        for r in runs
    ]
    alone = largest.submit["alone"].get("p99_ms", 0.0)
    polled = largest.submit["dashboard_polling"].get("p99_ms", 0.0)
    found.append(
        Target(
            f"e: submit p99 with a dashboard polling at {largest.n:,}",
            polled,
            "ms",
            "<= 1.5 x anchor",
            met=alone > 0 and polled <= 1.5 * alone,
            anchor=alone,
            anchor_name="submit p99 alone",
        )
    )
    return found
