"""Every HTML page intake and the notifier serve carries a Content-Security-Policy: the
dashboard a strict one (its scripts and styles in files of their own, the notifier's origin to
fetch from), the OpenAPI pages exactly what Swagger UI and ReDoc load, all of it from the service
itself (no CDN, no font service)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from sosa.infra.content_security import (
    STRICT,
    ContentSecurityPolicy,
    dashboard_policy,
    inline_script_hashes,
    origin_of,
)
from sosa.intake.app import create_app as create_intake
from sosa.intake.settings import IntakeSettings
from sosa.notifier.app import create_app as create_notifier
from sosa.notifier.settings import NotifierSettings

STRICT_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]


def directives(policy: str) -> dict[str, list[str]]:
    parts = [p.split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def intake() -> FastAPI:
    settings = IntakeSettings(
        intake_database_url="sqlite+aiosqlite:///:memory:",
        dashboard_notifier_url="https://notifier.example:8443/",
    )
    app = create_intake(settings)
    app.state.runtime = SimpleNamespace(settings=settings)  # all /dashboard reads of it
    return app


def notifier() -> FastAPI:
    return create_notifier(NotifierSettings(notifier_database_url="sqlite+aiosqlite:///:memory:"))


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get(path)


async def test_the_dashboard_is_strict_and_reaches_only_itself_and_the_notifier() -> None:
    page = await get(intake(), "/dashboard")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    for part in STRICT_PARTS:
        assert part in policy
    assert directives(policy)["connect-src"] == ["'self'", "https://notifier.example:8443"]
    assert "'unsafe-inline'" not in policy
    # nothing inline left for the policy to block: no script body, no style element or attribute
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert "<style" not in page.text
    assert " style=" not in page.text
    assert re.search(r"\son[a-z]+=", page.text) is None
    assert 'content="{&quot;notifierUrl&quot;: &quot;https://notifier.example:8443&quot;}"' in (
        page.text
    )
    for asset, kind in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        served = await get(intake(), f"/dashboard/{asset}")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(kind)
        assert f'"dashboard/{asset}"' in page.text


async def test_the_workspace_is_as_strict_and_every_module_it_imports_is_served() -> None:
    app = intake()
    page = await get(app, "/workspace")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert policy == dashboard_policy(["https://notifier.example:8443"])
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert "<style" not in page.text
    assert " style=" not in page.text
    assert re.search(r"\son[a-z]+=", page.text) is None
    assert '<script type="module" src="workspace/main.js">' in page.text
    assert '"workspace/workspace.css"' in page.text
    # the modules main.js reaches, each served as JavaScript; none builds HTML from a string
    pending, seen = ["main.js"], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        served = await get(app, f"/workspace/{name}")
        assert served.status_code == 200, name
        assert served.headers["content-type"].startswith("text/javascript")
        assert "innerHTML" not in served.text, name
        assert "eval(" not in served.text, name
        imported = re.findall(r'from "\./([a-z-]+\.js)"', served.text)
        pending += [n for n in imported if n not in seen]
    assert seen == {"main.js", "api.js", "show.js", "requests.js", "webhooks.js", "operations.js"}
    css = await get(app, "/workspace/workspace.css")
    assert css.headers["content-type"].startswith("text/css")
    for outside in ("workspace.html", "..%2Fdashboard.js", "nope.js", "main.JS"):
        assert (await get(app, f"/workspace/{outside}")).status_code == 404, outside
    dashboard = await get(app, "/dashboard")
    assert 'href="workspace"' in dashboard.text


@pytest.mark.parametrize("make", [intake, notifier])
@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_openapi_pages_load_only_from_the_service_itself(make: object, path: str) -> None:
    app = make()  # type: ignore[operator]
    page = await get(app, path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    # scripts: the service's own files, plus each inline script of the page by its hash
    hashes = inline_script_hashes(page.content)
    assert bool(hashes) == (path != "/redoc")  # Swagger UI starts inline; ReDoc by its tag
    assert policy["script-src"] == ["'self'", *hashes]
    # nothing from another origin anywhere in the policy or the page
    for sources in policy.values():
        assert all(not s.startswith(("http:", "https:")) for s in sources), sources
    assert "https://" not in page.text
    # every script, stylesheet and icon the page references is served by the service itself
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert origin_of(url) == "", url
        served = await get(app, url)
        assert served.status_code == 200, url
        assert len(served.content) > 1000, url


async def test_any_other_html_answer_gets_the_strict_policy_and_others_none() -> None:
    app = FastAPI()
    app.add_middleware(ContentSecurityPolicy, docs_paths=["/docs"])

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> str:
        return "<p>hello</p>"

    @app.get("/own")
    async def own() -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    @app.get("/data")
    async def data() -> dict[str, int]:
        return {"n": 1}

    assert (await get(app, "/page")).headers["content-security-policy"] == STRICT
    assert (await get(app, "/page")).text == "<p>hello</p>"
    assert (await get(app, "/own")).headers["content-security-policy"] == "default-src 'none'"
    assert "content-security-policy" not in (await get(app, "/data")).headers


def test_policy_helpers() -> None:
    assert origin_of("http://127.0.0.1:8002/") == "http://127.0.0.1:8002"
    assert origin_of("/relative") == ""
    assert directives(dashboard_policy([""]))["connect-src"] == ["'self'"]
    # the hash CSP computes over the exact text of the script
    assert inline_script_hashes(b"<script>alert(1)</script>") == [
        "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
    ]
    assert inline_script_hashes(b'<script src="x.js"></script>') == []
