"""The OpenAPI pages (`/docs`: Swagger UI, `/redoc`: ReDoc) served from files installed with the
service's Python dependencies, so that they work on a network with no route to the internet.

The files come from the `fastapi-offline` package (MIT; its `static/` holds the dist files of
swagger-ui 5 (Apache-2.0) and ReDoc 2 (MIT), each with its licence header). They are served under
`/docs/assets/`; the pages are FastAPI's own (`get_swagger_ui_html`, `get_redoc_html`) pointed at
them, without Google fonts. Swagger UI's start-up script stays inline: the Content-Security-Policy
allows it by its SHA-256 (`sosa.infra.content_security.docs_policy`), computed from the page as
served; every other script comes from the service itself."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
REDOC = "/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/assets"
PAGES = (DOCS, REDOC, OAUTH2_REDIRECT)
"""The HTML pages this module serves (the policy of `docs_policy` applies to them)."""


def assets_directory() -> Path:
    """Where the installed Swagger UI and ReDoc files are (`swagger-ui-bundle.js`, …)."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Serve `/docs`, its OAuth2 redirect and `/redoc` for `app` (made with `docs_url=None,
    redoc_url=None`), and the files they load under `/docs/assets`."""
    app.mount(ASSETS, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
