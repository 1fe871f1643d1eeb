"""What one webhook attempt concludes from the receiver's answer (an in-memory transport)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from sosa.notifier import webhooks
from sosa.notifier.attempts import AttemptResult
from sosa.notifier.signing import new_secret

SECRET = new_secret()


async def attempt(answer: Callable[[httpx.Request], httpx.Response]) -> AttemptResult:
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        return await webhooks.send(
            client,
            url="https://hooks.example/in",
            secrets=[SECRET],
            message_id="evt-1",
            payload='{"type":"request.routed"}',
            now=datetime.now(UTC),  # read per attempt: verification allows only 5 minutes of skew
            timeout_s=1,
            retry_after_cap_s=3600,
        )


async def test_a_2xx_is_delivered_and_the_request_is_signed() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, text="ok")

    result = await attempt(answer)
    assert result.delivered
    assert result.response_excerpt == "ok"
    Webhook(SECRET).verify(seen[0].content, dict(seen[0].headers))


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "disable"),
    [
        (410, {}, True, "gone"),
        (500, {"webhook-delivery": "abort-message"}, True, None),
        (500, {"webhook-delivery": "disable"}, True, "receiver_asked"),
        (503, {}, False, None),
        (302, {"location": "https://elsewhere.example"}, False, None),
    ],
)
async def test_receiver_controls(
    status: int, headers: dict[str, str], permanent: bool, disable: str | None
) -> None:
    result = await attempt(lambda _: httpx.Response(status, headers=headers))
    assert not result.delivered
    assert (result.permanent, result.disable) == (permanent, disable)


async def test_retry_after_is_read() -> None:
    result = await attempt(lambda _: httpx.Response(429, headers={"retry-after": "90"}))
    assert result.retry_after_s == 90


async def test_a_timeout_is_a_failure_with_a_reason() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    result = await attempt(answer)
    assert result.status_code is None
    assert result.error == "timed out after 1 s"


async def test_only_the_start_of_a_long_answer_is_kept() -> None:
    result = await attempt(lambda _: httpx.Response(500, text="x" * 100_000))
    assert result.response_excerpt == "x" * webhooks.EXCERPT_CHARS
