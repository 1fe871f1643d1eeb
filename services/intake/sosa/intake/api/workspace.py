"""The party workspace: `/workspace`, one HTML page and its plain JavaScript modules and
stylesheet (no build step, nothing from elsewhere). It holds no data and acts only through the
public HTTP API of intake and the notifier, with the credential the viewer pastes (kept in the
tab's sessionStorage). Its Content-Security-Policy is the dashboard's: intake's own files only,
fetches to intake and the notifier (`SOSA_DASHBOARD_NOTIFIER_URL`)."""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from sosa.infra.content_security import dashboard_policy, origin_of
from sosa.intake.api.dependencies import RuntimeDep

router = APIRouter(tags=["workspace"])
_ASSET = re.compile(r"^[a-z][a-z0-9-]*\.(js|css)$")
_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


@cache
def _static(name: str) -> str | None:
    path = files("sosa.intake") / "static" / "workspace" / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


@router.get("/workspace", response_class=HTMLResponse, include_in_schema=False)
async def page(rt: RuntimeDep) -> HTMLResponse:
    notifier = rt.settings.dashboard_notifier_url.rstrip("/")
    config = html.escape(json.dumps({"notifierUrl": notifier}), quote=True)
    return HTMLResponse(
        (_static("workspace.html") or "").replace("/*SOSA_CONFIG*/", config),
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": dashboard_policy([origin_of(notifier)]),
        },
    )


@router.get("/workspace/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    """A module or the stylesheet of the page; nothing else under static/ is served."""
    match = _ASSET.match(name)
    body = _static(name) if match else None
    if match is None or body is None:
        raise HTTPException(404, f"no workspace file {name}")
    return Response(
        body,
        media_type=_TYPES[match.group(1)],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
