"""Content-Security-Policy on every HTML page a service serves (intake, notifier).

- A page that sets its own policy keeps it (the dashboard: `dashboard_policy`, which adds the
  notifier's origin to `connect-src`).
- The OpenAPI pages (`/docs`, its OAuth2 redirect, `/redoc`) load Swagger UI and ReDoc from
  the service itself (`sosa.infra.api_docs`: files installed with its Python dependencies, no
  CDN). Their policy is `STRICT` with three additions and nothing from elsewhere: Swagger UI's
  inline start-up script allowed by its SHA-256 (computed from the body as served, so a root
  path or a FastAPI upgrade cannot break it), `data:` images (Swagger UI's inline SVG icons)
  and `worker-src 'self' blob:` (ReDoc's search). The documented exception: `style-src
  'unsafe-inline'` there, because both libraries set styles at run time (ReDoc through
  styled-components); a style cannot run a script.
- Any other HTML answer gets `STRICT`, which allows nothing but itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "content-security-policy"
COMMON = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
STRICT = f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; {COMMON}"
"""The policy of every page of ours: nothing inline, nothing from elsewhere."""
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.I | re.S)


def dashboard_policy(connect: Iterable[str]) -> str:
    """STRICT, plus the origins the page's scripts fetch from (the notifier's stream)."""
    sources = " ".join(["'self'", *sorted({c for c in connect if c})])
    return f"{STRICT}; connect-src {sources}"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL; empty for a relative one."""
    match = re.match(r"^([a-z][a-z0-9+.-]*://[^/?#]+)", url.strip(), re.I)
    return match.group(1) if match else ""


def inline_script_hashes(html: bytes) -> list[str]:
    """`'sha256-…'` of each inline script, as CSP level 2 hashes it (the exact text)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: bytes) -> str:
    """What Swagger UI and ReDoc, served from the service itself, load; nothing more."""
    scripts = " ".join(["'self'", *inline_script_hashes(html)])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        f"{COMMON}"
    )


class ContentSecurityPolicy:
    """ASGI middleware: every `text/html` answer without a policy of its own gets one."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = {p for p in docs_paths if p}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope.get("path", "") in self.docs_paths
        held: dict[str, Any] = {}
        body: list[bytes] = []

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                kind = dict(headers).get(b"content-type", b"")
                has_policy = any(name.lower() == HEADER.encode() for name, _ in headers)
                if kind.startswith(b"text/html") and not has_policy:
                    held["start"] = message  # sent once the body is known
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in held:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                html = b"".join(body)
                policy = docs_policy(html) if docs else STRICT
                start = held.pop("start")
                start["headers"] = [*start.get("headers", []), (HEADER.encode(), policy.encode())]
                await send(start)
                await send({"type": "http.response.body", "body": html, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, guarded)
