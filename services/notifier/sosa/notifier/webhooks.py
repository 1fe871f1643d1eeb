"""Sending one webhook attempt: signed, timed out, through the SSRF guard."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

import httpx

from sosa.infra.url_redaction import redact_urls
from sosa.notifier import signing
from sosa.notifier.attempts import AttemptResult, retry_after_s
from sosa.notifier.ssrf import BlockedAddressError

EXCERPT_CHARS = 500


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    secrets: Sequence[str],
    message_id: str,
    payload: str,
    now: datetime,
    timeout_s: float,
    retry_after_cap_s: float,
    traceparent: str | None = None,
) -> AttemptResult:
    """POST `payload` to `url`; any 2xx is delivered, 410 is gone, everything else a failure.

    `traceparent` (the attempt's span, W3C Trace Context) is sent as a header of that name, not
    signed, so that a receiver can continue the trace.

    Beyond the spec, a receiver may answer with Svix's `webhook-delivery` header: `abort-message`
    (stop retrying this message) or `disable` (disable this endpoint).
    """
    headers = signing.signed_headers(secrets, message_id=message_id, sent_at=now, body=payload)
    if traceparent:
        headers["traceparent"] = traceparent
    started = time.perf_counter()
    try:
        async with client.stream(
            "POST", url, content=payload, headers=headers, timeout=timeout_s
        ) as response:
            excerpt = await _excerpt(response)
            control = response.headers.get("webhook-delivery", "").strip().lower()
    except BlockedAddressError as exc:
        return AttemptResult(None, _ms_since(started), redact_urls(str(exc))[:EXCERPT_CHARS])
    except httpx.TimeoutException:
        return AttemptResult(None, _ms_since(started), f"timed out after {timeout_s:g} s")
    except httpx.HTTPError as exc:
        error = redact_urls(f"{type(exc).__name__}: {exc}")
        return AttemptResult(None, _ms_since(started), error[:EXCERPT_CHARS])
    status = response.status_code
    return AttemptResult(
        status_code=status,
        latency_ms=_ms_since(started),
        error=None if 200 <= status < 300 else f"HTTP {status}",
        response_excerpt=excerpt,
        retry_after_s=retry_after_s(
            response.headers.get("retry-after"), now=now, cap_s=retry_after_cap_s
        ),
        permanent=status == 410 or control in {"abort-message", "disable"},
        disable="gone" if status == 410 else "receiver_asked" if control == "disable" else None,
    )


async def _excerpt(response: httpx.Response) -> str | None:
    """The start of the answer; a receiver that streams megabytes is not read to the end."""
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= EXCERPT_CHARS * 4:
            break
    return read.decode("utf-8", errors="replace")[:EXCERPT_CHARS] or None


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
