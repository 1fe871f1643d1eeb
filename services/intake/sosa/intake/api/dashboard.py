"""The live operations dashboard: `/dashboard` (one HTML page, no build step) and the summary
it reads, `/v1/dashboard/summary`. The live feed is the notifier's resumable stream of what the
viewer's party is told (`SOSA_DASHBOARD_STREAM_URL`)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from sosa.infra.auth import CallerDep
from sosa.intake import dashboard
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems

router = APIRouter(tags=["dashboard"])


@cache
def _page() -> str:
    return (files("sosa.intake") / "static" / "dashboard.html").read_text(encoding="utf-8")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def page(rt: RuntimeDep) -> HTMLResponse:
    """The page itself holds no data: it asks for the viewer's API key and reads with it."""
    config = json.dumps({"streamUrl": rt.settings.dashboard_stream_url})
    return HTMLResponse(
        _page().replace("/*SOSA_CONFIG*/{}", config),
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


@router.get(
    "/v1/dashboard/summary",
    response_model=dashboard.Summary,
    summary="The dashboard's figures over the requests the caller may see",
    description="Counts by state and by path, overdue requests, requests due within "
    "`working_days` US federal working days, and per-requester and per-supplier tables. An "
    "operator counts every request; any other party only those the API would show it.",
    responses=problems(422, 503),
)
async def summary(
    rt: RuntimeDep,
    caller: CallerDep,
    working_days: Annotated[int, Query(ge=0, le=60, description="The due-soon horizon.")] = 3,
) -> dashboard.Summary:
    async with rt.sessions() as session:
        return await dashboard.summary(
            session,
            caller,
            now=rt.clock.now(),
            working_days=working_days,
            calendar=rt.rules.calendar,
        )
