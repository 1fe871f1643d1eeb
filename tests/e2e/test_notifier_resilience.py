# ruff: noqa: F811 - pytest fixtures imported from notifier_support are parameters here
"""Nothing is lost when the notifier stops: pending retries resume after a restart (a clean stop
or a kill mid-send), under the same `webhook-id`; failed deliveries are recovered on demand."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

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


async def test_a_restart_mid_retry_resumes_the_delivery(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(retry_schedule_s="[0, 3, 3]")
    hook = hooks.add(statuses=[503])
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        secret = (await subscribe(client, hook.url))["secret"]
        event = routed()
        await topic.publish(event)
        await hook.wait_for(1)
        stack.stop("notifier")  # a clean stop, between the first attempt and its retry

        await launch_notifier()
        hits = await hook.wait_for(2)

        async def recorded() -> bool:
            log = await client.get("/v1/deliveries", params={"request_id": event.request_id})
            return bool(log.json()[0]["status"] == "delivered")

        await eventually(recorded)
        log = (await client.get("/v1/deliveries", params={"request_id": event.request_id})).json()
    assert [hit.headers["webhook-id"] for hit in hits] == [event.event_id] * 2
    Webhook(secret).verify(hits[1].body, hits[1].headers)
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [503, 204]


async def test_a_kill_mid_send_is_retried_once_the_lease_runs_out(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(webhook_timeout_s="2", lease_margin_s="1")
    hook = hooks.add(delay_s=1.5)
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        await subscribe(client, hook.url)
        event = routed()
        await topic.publish(event)

        async def sending() -> bool:
            log = await client.get("/v1/deliveries", params={"request_id": event.request_id})
            return bool(log.json())

        await eventually(sending)
        stack.stop("notifier", signal.SIGKILL)  # the attempt is in flight, unrecorded
        hook.delay_s = 0
        await launch_notifier()

        async def delivered() -> bool:
            log = await client.get("/v1/deliveries", params={"request_id": event.request_id})
            return bool(log.json()[0]["status"] == "delivered")

        await eventually(delivered)
    assert {hit.headers["webhook-id"] for hit in hook.hits} == {event.event_id}


async def test_failed_deliveries_are_recovered_for_a_time_window(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(retry_schedule_s="[0, 0.2]")
    hook = hooks.add(statuses=[500, 500, 500, 500])
    started = datetime.now(UTC) - timedelta(seconds=1)
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        await subscribe(client, hook.url)
        first, second = routed(), routed()
        await topic.publish(first, second)

        async def both_failed() -> bool:
            log = (await client.get("/v1/deliveries", params={"status": "failed"})).json()
            return len(log) == 2

        await eventually(both_failed)
        one = (await client.get("/v1/deliveries", params={"request_id": first.request_id})).json()
        retried = await client.post(f"/v1/deliveries/{one[0]['delivery_id']}/retry")
        assert retried.status_code == 202, retried.text
        await hook.wait_for(5)  # one by one: the retried delivery goes through

        async def first_delivered() -> bool:
            log = (await client.get("/v1/deliveries", params={"status": "delivered"})).json()
            return len(log) == 1

        await eventually(first_delivered)
        recovered = await client.post("/v1/deliveries/recover", json={"since": started.isoformat()})
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["recovered"] == 1  # the other one, still failed

        async def all_delivered() -> bool:
            log = (await client.get("/v1/deliveries", params={"status": "delivered"})).json()
            return len(log) == 2

        await eventually(all_delivered)
    assert len(hook.hits) == 6
