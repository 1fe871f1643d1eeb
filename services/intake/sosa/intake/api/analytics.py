"""`/v1/analytics/...`: the resilience figures over the requests the caller may see, as JSON or
CSV (`format=csv`). Each answer says how it was computed and over which period."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from sosa.contracts.instants import Instant
from sosa.infra import csv_cells
from sosa.infra.auth import Caller, CallerDep
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.descriptions import RESPONSE_EXAMPLES
from sosa.intake.api.problem_docs import problems
from sosa.intake.insights import analytics
from sosa.intake.insights import resilience_figures as figures
from sosa.intake.insights.rollup_reads import Chosen
from sosa.intake.runtime import Runtime

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
Since = Annotated[
    Instant | None, Query(description="Requests received from then on (ISO 8601 with offset).")
]
Until = Annotated[
    Instant | None, Query(description="Requests received before then (ISO 8601 with offset).")
]
Format = Annotated[Literal["json", "csv"], Query(alias="format")]
Dimension = Annotated[Literal["program", "item"], Query()]
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
Limit = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description="At most this many rows, the first in the figure's order (most "
        f"concentrated; fewest accepting suppliers), and in each concentration row the "
        f"suppliers with the largest shares; `total_rows` and each row's `suppliers` say how "
        f"many there are in all. At most {MAX_LIMIT:,}; by default {DEFAULT_LIMIT} in JSON, "
        "and every row in CSV (the export).",
    ),
]


class Period(BaseModel):
    since: datetime | None
    """Requests received from then on (none: from the first)."""
    until: datetime | None
    """Requests received before then (none: up to `computed_at`)."""


class Figures(BaseModel):
    figure: str
    method: str
    period: Period
    computed_at: datetime
    """When the figure was computed: the states and histories it read are those of that time."""
    requests: int
    """How many requests (that the caller may see, received in the period) were looked at."""
    total_rows: int
    """How many rows the figure has; `rows` holds the first `limit` of them."""
    rows: list[dict[str, Any]]


def _flat(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A row as CSV lines: a concentration row gives one line per supplier."""
    shares = row.pop("shares", None)
    if shares is None:
        accepting = row.pop("accepting", None)
        if accepting is not None:
            row["accepting"] = " ".join(accepting)
        return [row]
    return [{**row, "supplier": s, "share": share} for s, share in shares.items()]


async def _answer(result: Figures, fmt: str) -> Response:
    """JSON or CSV, written off the event loop: a figure by item can have thousands of rows."""
    if fmt == "json":
        return await anyio.to_thread.run_sync(_json, result)
    return await anyio.to_thread.run_sync(_csv, result)


def _json(result: Figures) -> Response:
    return Response(result.model_dump_json(), media_type="application/json")


def _csv(result: Figures) -> Response:
    lines = [line for row in result.rows for line in _flat(dict(row))]
    out = io.StringIO()
    out.write(_preamble(result, len(result.rows)))
    if lines:
        csv_cells.write_rows(out, list(lines[0]), lines)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


def _preamble(result: Figures, given: int) -> str:
    """The export's two `#` lines: the method, and the period, time, count and rows given."""
    since, until = result.period.since, result.period.until
    return (
        f"# {result.figure}: {result.method}\n"
        f"# period: received {since or 'from the first'} to {until or 'now'}"
        f"; computed at {result.computed_at.isoformat()}; requests: {result.requests}"
        f"; rows: {given} of {result.total_rows}\n"
    )


def _csv_chunk(rows: Sequence[Any], fieldnames: list[str] | None) -> tuple[str, list[str] | None]:
    """Some rows of a streamed export as CSV (the column names first, with the first rows), as
    `_csv` writes them: a concentration row gives one line per supplier, its other cells made
    safe once for all its lines (`csv_cells`)."""
    out = io.StringIO()
    writer = csv_cells.writer(out)
    for row in rows:
        cells = _fields(row)
        shares = cells.pop("shares", None)
        lines = _flat(dict(cells)) if shares is None else []
        if fieldnames is None:
            fieldnames = list(lines[0]) if lines else [*cells, "supplier", "share"]
            writer.writerow([csv_cells.safe_cell(name) for name in fieldnames])
        if shares is None:
            for line in lines:
                writer.writerow([csv_cells.safe_cell(line.get(name)) for name in fieldnames])
            continue
        prefix = [csv_cells.safe_cell(value) for value in cells.values()]
        for supplier, share in shares.items():
            writer.writerow([*prefix, csv_cells.safe_cell(supplier), share])
    return out.getvalue(), fieldnames


class _Streamed(StreamingResponse):
    """A streamed answer that ends its database transaction once sent, or once the client went
    away (whether or not the body was ever read)."""

    def __init__(self, body: AsyncIterator[str], media_type: str, done: contextlib.AsyncExitStack):
        super().__init__(body, media_type=media_type)
        self._done = done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._done.aclose()


Chunks = Callable[[AsyncSession, Chosen], Awaitable[tuple[int, AsyncIterator[Sequence[Any]]]]]
"""How many rows a figure has, and its rows a chunk at a time."""


async def _streamed_csv(
    rt: Runtime,
    caller: Caller,
    name: str,
    since: datetime | None,
    until: datetime | None,
    chunks_of: Chunks,
    limit: int | None,
) -> Response:
    """The CSV export streamed: the population and the count are read before the answer starts
    (a database that cannot answer still gets a 503), and its first two lines go out at once;
    then each chunk of rows is read from the database's cursor, written as CSV off the event
    loop and sent, in the same snapshot. Intake holds one chunk at a time however many rows the
    figure has."""
    done = contextlib.AsyncExitStack()
    try:
        seen = await done.enter_async_context(_snapshot(rt, caller, since, until))
        total, chunks = await chunks_of(seen.session, seen.chosen)
        head = Figures(
            figure=name,
            method=figures.METHODS[name],
            period=Period(since=since, until=until),
            computed_at=seen.computed_at,
            requests=seen.requests,
            total_rows=total,
            rows=[],
        )
    except BaseException:
        await done.aclose()
        raise

    async def body() -> AsyncIterator[str]:
        yield _preamble(head, total if limit is None else min(limit, total))
        fieldnames = None
        async for chunk in chunks:
            text, fieldnames = await anyio.to_thread.run_sync(_csv_chunk, chunk, fieldnames)
            yield text

    return _Streamed(body(), "text/csv; charset=utf-8", done)


def _check_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until <= since:
        raise RequestValidationError(
            [{"loc": ("query", "until"), "msg": "must be later than since", "type": "value_error"}]
        )


async def _compute(
    rt: Runtime,
    caller: Caller,
    name: str,
    since: datetime | None,
    until: datetime | None,
    make: Callable[[AsyncSession, Chosen], Awaitable[Sequence[Any] | analytics.Ranked[Any]]],
    limit: int | None = None,
) -> Figures:
    """The figure computed by the database (`sosa.intake.insights.analytics`): only its grouped rows
    come back to intake, never the requests themselves (a `Ranked` figure: only its first
    `limit` rows, with how many it has)."""
    async with rt.figure_slots, _snapshot(rt, caller, since, until) as seen:
        found = await make(seen.session, seen.chosen)
    computed_at, requests = seen.computed_at, seen.requests
    total, rows = (
        (found.total, found.rows) if isinstance(found, analytics.Ranked) else (len(found), found)
    )
    return await anyio.to_thread.run_sync(
        lambda: Figures(  # off the event loop: a figure by item has thousands of rows
            figure=name,
            method=figures.METHODS[name],
            period=Period(since=since, until=until),
            computed_at=computed_at,
            requests=requests,
            total_rows=total,
            rows=[_fields(row) for row in rows[:limit]],
        )
    )


def _rows_for(fmt: str, limit: int | None) -> int | None:
    """The rows asked for: by default 100 in JSON and all in CSV."""
    if limit is not None:
        return limit
    return DEFAULT_LIMIT if fmt == "json" else None


def _fields(row: Any) -> dict[str, Any]:
    """A figure's row as a dict (shallow: `dataclasses.asdict` would copy every share)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}


@dataclass(frozen=True)
class _Seen:
    """What a figure reads in: its open session, the requests chosen, when, and how many."""

    session: AsyncSession
    chosen: Chosen
    computed_at: datetime
    requests: int


@contextlib.asynccontextmanager
async def _snapshot(
    rt: Runtime, caller: Caller, since: datetime | None, until: datetime | None
) -> AsyncIterator[_Seen]:
    """A figure's transaction (`_one_snapshot`), with the population it counts over: the same
    opening for an answer computed whole and for the streamed export."""
    _check_period(since, until)
    computed_at = rt.clock.now()
    chosen = analytics.chosen(caller, since, until)
    async with rt.sessions() as session, session.begin():
        await _one_snapshot(session)
        requests = await analytics.population(session, chosen)
        yield _Seen(session, chosen, computed_at, requests)


async def _one_snapshot(session: AsyncSession) -> None:
    """On PostgreSQL the figure's queries read one snapshot (REPEATABLE READ, read only), so
    the count and the rows agree, and may group in memory (work_mem 64 MB for this transaction:
    at a million requests a grouping by rating and supplier has 140,000 groups, which the
    default 4 MB sorts on disk), without parallel workers: a figure's scan takes one core, not
    every core the submits need (a dashboard's figures run one at a time: `Runtime.figure_slots`),
    and with a page read out of order costed as on an SSD (`random_page_cost` 1.1, not 4): the
    figures' tables are small and cached, and with the default the planner sorts the 60,000
    buckets of the counter-offers' histogram (at a million requests) rather than read them in
    the primary key's order, 131 ms against 73. SQLite's transaction is one snapshot already."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        await session.execute(text("SET LOCAL random_page_cost = 1.1"))


CSV_EXAMPLE = bytes(_csv(Figures.model_validate(RESPONSE_EXAMPLES["Figures"])).body).decode()
"""The JSON answer's example as the export writes it (so the two examples cannot disagree)."""
RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(422, 503),
    200: {
        "content": {"text/csv": {"example": CSV_EXAMPLE}},
        "description": "JSON, or CSV with `format=csv`",
    },
}


@router.get(
    "/concentration",
    response_model=Figures,
    responses=RESPONSES,
    summary="Supplier concentration (shares, Herfindahl index) per program or item",
)
async def concentration(
    rt: RuntimeDep,
    caller: CallerDep,
    by: Dimension = "program",
    since: Since = None,
    until: Until = None,
    fmt: Format = "json",
    limit: Limit = None,
) -> Response:
    rows = _rows_for(fmt, limit)
    if fmt == "csv":  # every row by default (a million requests: 523,115 shares), streamed
        return await _streamed_csv(
            rt,
            caller,
            "concentration",
            since,
            until,
            lambda s, w: analytics.concentration_chunks(s, w, by, rows, rows),
            rows,
        )
    result = await _compute(
        rt,
        caller,
        "concentration",
        since,
        until,
        lambda s, w: analytics.concentration_page(s, w, by, rows, rows),
        rows,
    )
    return await _answer(result, fmt)


@router.get(
    "/redundancy-gaps",
    response_model=Figures,
    responses=RESPONSES,
    summary="Programs or items with fewer than two accepting suppliers",
)
async def redundancy_gaps(
    rt: RuntimeDep,
    caller: CallerDep,
    by: Dimension = "program",
    since: Since = None,
    until: Until = None,
    fmt: Format = "json",
    limit: Limit = None,
) -> Response:
    result = await _compute(
        rt,
        caller,
        "redundancy_gaps",
        since,
        until,
        lambda s, w: analytics.gaps_page(s, w, by, _rows_for(fmt, limit)),
        _rows_for(fmt, limit),
    )
    return await _answer(result, fmt)


@router.get(
    "/rates",
    response_model=Figures,
    responses=RESPONSES,
    summary="Overdue and rejection rates by partner country, supplier or rating level",
)
async def rates(
    rt: RuntimeDep,
    caller: CallerDep,
    group_by: Annotated[Literal["partner_country", "supplier", "rating_level"], Query()] = (
        "partner_country"
    ),
    since: Since = None,
    until: Until = None,
    fmt: Format = "json",
) -> Response:
    result = await _compute(
        rt, caller, "rates", since, until, lambda s, w: analytics.rates(s, w, group_by)
    )
    return await _answer(result, fmt)


@router.get(
    "/answer-times",
    response_model=Figures,
    responses=RESPONSES,
    summary="Median time from clock start to the supplier's first answer, per path",
    description="An estimate read from buckets of the answer times kept as answers arrive: "
    "within one bucket's width of the exact median (at most 1 s below 100 s, else at most a "
    "tenth of it); `method` says how (docs/analytics.md).",
)
async def answer_times(
    rt: RuntimeDep,
    caller: CallerDep,
    since: Since = None,
    until: Until = None,
    fmt: Format = "json",
) -> Response:
    return await _answer(
        await _compute(rt, caller, "answer_times", since, until, analytics.answer_times), fmt
    )


@router.get(
    "/counter-offers",
    response_model=Figures,
    responses=RESPONSES,
    summary="Counter-offer delay: earliest date offered minus the date required",
    description="Exact: read from a count per supplier and day of delay kept as answers "
    "arrive (docs/analytics.md).",
)
async def counter_offers(
    rt: RuntimeDep,
    caller: CallerDep,
    since: Since = None,
    until: Until = None,
    fmt: Format = "json",
) -> Response:
    result = await _compute(
        rt, caller, "counter_offers", since, until, analytics.counter_offer_delays
    )
    return await _answer(result, fmt)
