# ruff: noqa: F811 - pytest fixtures imported from notifier_support are parameters here
"""The SSRF guard: no webhook to loopback, private or link-local addresses unless allow-listed,
checked when an endpoint is subscribed and again when each connection is made."""

from __future__ import annotations

import pytest

from tests.e2e.notifier_support import (  # noqa: F401 - fixtures among them
    Hooks,
    Launch,
    Outcomes,
    api,
    eventually,
    hooks,
    launch_notifier,
    routed,
    subscribe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


async def test_loopback_is_refused_at_subscription_when_not_allow_listed(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(webhook_allowed_networks="[]")
    hook = hooks.add()
    async with api(stack, "dod-navsea") as client:
        for url in (hook.url, hook.url.replace("127.0.0.1", "localhost"), "http://10.1.2.3/x"):
            refused = await client.post("/v1/endpoints", json={"url": url})
            assert refused.status_code == 422, url
            assert refused.headers["content-type"] == "application/problem+json"
            assert "allow-listed" in refused.json()["detail"]
        metadata = await client.post(
            "/v1/endpoints", json={"url": "https://169.254.169.254/latest/meta-data"}
        )
        assert metadata.status_code == 422
        # IPv6 forms embedding a private IPv4 (issue #23: NAT64, 6to4, IPv4-compatible, Teredo)
        for embedded in (
            "64:ff9b::a00:1", "64:ff9b:1::a00:1", "2002:a00:1::", "::a00:1", "::ffff:a00:1",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        ):  # fmt: skip
            refused = await client.post("/v1/endpoints", json={"url": f"https://[{embedded}]/x"})
            assert refused.status_code == 422, embedded
            assert "not a public address" in refused.json()["detail"], embedded


async def test_loopback_is_refused_at_connection_when_not_allow_listed(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier()  # loopback allow-listed: the subscription is accepted
    hook = hooks.add()
    async with api(stack, "dod-navsea") as client:
        await subscribe(client, hook.url)
    stack.stop("notifier")
    await launch_notifier(webhook_allowed_networks="[]", retry_schedule_s="[0]")
    event = routed()
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        await topic.publish(event)

        async def refused() -> bool:
            log = await client.get("/v1/deliveries", params={"request_id": event.request_id})
            return bool(log.json()) and log.json()[0]["status"] == "failed"

        await eventually(refused)
        (entry,) = (
            await client.get("/v1/deliveries", params={"request_id": event.request_id})
        ).json()
    assert hook.hits == []
    assert "refused by the SSRF guard" in entry["attempt_log"][0]["error"]
    assert entry["attempt_log"][0]["status_code"] is None
