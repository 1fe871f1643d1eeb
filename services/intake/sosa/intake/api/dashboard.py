"""The live operations dashboard: `/dashboard` (one HTML page, no build step) and the summary
it reads, `/v1/dashboard/summary`. The live feed is the notifier's resumable stream of what the
viewer's party is told, and the delivery failures panel its `/v1/delivery-failures`
(`SOSA_DASHBOARD_NOTIFIER_URL`); the pipeline panel (operators) reads `/v1/dashboard/pipeline`."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

from sosa.infra.auth import CallerDep
from sosa.infra.content_security import dashboard_policy, origin_of
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.insights import dashboard
from sosa.intake.insights.pipeline_watch import PipelineOut

router = APIRouter(tags=["dashboard"])


@cache
def _static(name: str) -> str:
    return (files("sosa.intake") / "static" / name).read_text(encoding="utf-8")


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def page(rt: RuntimeDep) -> HTMLResponse:
    """The page itself holds no data: it asks for the viewer's API key and reads with it.

    Its Content-Security-Policy allows scripts and styles from intake's own files only (no
    inline code), and fetches from intake and the notifier (`SOSA_DASHBOARD_NOTIFIER_URL`)."""
    notifier = rt.settings.dashboard_notifier_url.rstrip("/")
    config = html.escape(json.dumps({"notifierUrl": notifier}), quote=True)
    return HTMLResponse(
        _static("dashboard.html").replace("/*SOSA_CONFIG*/", config),
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": dashboard_policy([origin_of(notifier)]),
        },
    )


@router.get("/dashboard/dashboard.js", include_in_schema=False)
async def script() -> Response:
    return Response(
        _static("dashboard.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/dashboard/dashboard.css", include_in_schema=False)
async def styles() -> Response:
    return Response(
        _static("dashboard.css"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
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


@router.get(
    "/v1/dashboard/pipeline",
    response_model=PipelineOut,
    summary="Consumer lag and dead letters (operators)",
    description="How far each consumer group (router, notifier, intake's read model) is behind, "
    "from the broker's committed offsets, and the dead letters per topic and per consumer that "
    "gave up, with the latest ones. Refreshed every few seconds; the times say when.",
    responses=problems(403, 503, _403="The caller is not an operator"),
)
async def pipeline(rt: RuntimeDep, caller: CallerDep) -> PipelineOut:
    if not caller.operator:
        raise HTTPException(403, "only operators see the pipeline's lag and dead letters")
    return PipelineOut.of(rt.pipeline.snapshot)
