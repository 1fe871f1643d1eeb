"""Webhook URLs are shown and logged without their query string (tokens), userinfo or fragment."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from sosa.infra.logs import configure_logging
from sosa.infra.url_redaction import redact_url, redact_urls

SECRET = "s3cr3t-token-value"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"https://hooks.example/in?token={SECRET}", "https://hooks.example/in?…"),
        (
            f"https://hooks.example:8443/a/b?x=1&token={SECRET}#f",
            "https://hooks.example:8443/a/b?…",
        ),
        (f"https://user:{SECRET}@hooks.example/in", "https://hooks.example/in"),
        (f"http://127.0.0.1:9/h?{SECRET}", "http://127.0.0.1:9/h?…"),
        (f"http://[::1]:8080/h?t={SECRET}", "http://[::1]:8080/h?…"),
        ("https://hooks.example/in", "https://hooks.example/in"),
        (f"https://hooks.example/in#{SECRET}", "https://hooks.example/in"),
        ("https://hooks.example:99999/in?t=1", "…"),  # not a URL: hidden whole
    ],
)
def test_a_url_keeps_scheme_host_and_path_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert SECRET not in redact_url(url)


def test_urls_inside_text_are_redacted() -> None:
    text = f"ConnectError: cannot reach https://h.example/in?token={SECRET} (refused); a@b.example"
    assert redact_urls(text) == (
        "ConnectError: cannot reach https://h.example/in?… (refused); a@b.example"
    )
    database = "database postgresql+asyncpg://sosa:***@db.example:5432/sosa is unreachable"
    assert redact_urls(database) == database  # not a webhook: logged as the service renders it


def test_no_log_line_carries_a_query_string(capsys: pytest.CaptureFixture[str]) -> None:
    """Ours, a library's `%s` message (httpx logs every request's URL) and a traceback."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", service="test")
    url = f"https://hooks.example/in?token={SECRET}"
    structlog.get_logger("ours").info("delivery", url=url, nested={"urls": [url]})
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST", url, "HTTP/1.1 200 OK")
    try:
        raise RuntimeError(f"failed on {url}")
    except RuntimeError:
        logging.getLogger("ours").exception("attempt failed", extra={"target": url})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    text = json.dumps(lines, ensure_ascii=False)
    assert SECRET not in text
    assert "https://hooks.example/in?…" in text
    root.handlers[:], root.level = handlers, level
