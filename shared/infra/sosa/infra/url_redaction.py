"""URLs as they may be logged or shown: scheme, host, port and path; never the query string,
the fragment or userinfo, where receivers put their tokens (`https://hooks.example/in?token=…`).

`redact_url` for one URL; `redact_urls` for free text (an error message, a log line) that may
quote one; `RedactUrls` is the structlog processor that applies it to every log line.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "…"
_URL = re.compile(r"""(?i)\b(?:https?|wss?)://[^\s"'<>]+""")
"""Web URLs, where webhook tokens live; a database URL is logged as the services render it
(password hidden by SQLAlchemy), its user and database name kept."""


def redact_url(url: str) -> str:
    """`scheme://host[:port]/path`, with `?…` where the query was; userinfo and fragment
    dropped. Anything that does not parse as a URL is replaced by `…` whole."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return HIDDEN
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    query = HIDDEN if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_urls(text: str) -> str:
    """`text` with every web (http, https, ws, wss) URL in it redacted."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact_urls(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


class RedactUrls:
    """structlog processor: every string of the event (message, fields, a formatted traceback,
    the arguments of a library's `%s` message) with its URLs redacted."""

    def __call__(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            if key.startswith("_"):  # structlog's own record and formatter
                continue
            event[key] = _scrub(value)
        return event
