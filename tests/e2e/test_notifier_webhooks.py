# ruff: noqa: F811 - pytest fixtures imported from notifier_support are parameters here
"""Signed webhooks from the notifier process, over the real broker and database, to real
receivers on loopback: retries keep one `webhook-id`, 410 disables, one slow endpoint does not
hold up a fast one, rotated secrets keep verifying, and each role gets only its fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from sosa.contracts import deliveries
from sosa.contracts.states import RequestState
from tests.e2e.notifier_support import (  # noqa: F401 - fixtures among them
    OPERATORS,
    Hooks,
    Launch,
    Outcomes,
    api,
    eventually,
    hooks,
    launch_notifier,
    read_stream,
    read_topic,
    routed,
    subscribe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


async def test_flaky_receiver_gets_one_success_under_one_webhook_id(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(retry_schedule_s="[0, 0.3, 0.3, 0.3]")
    hook = hooks.add(statuses=[500, 500, 200])
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        secret = (await subscribe(client, hook.url))["secret"]
        event = routed()
        await topic.publish(event)
        hits = await hook.wait_for(3)
        assert {hit.headers["webhook-id"] for hit in hits} == {event.event_id}
        for hit in hits:  # the receiver's own check, with the reference library
            Webhook(secret).verify(hit.body, hit.headers)

        async def delivered() -> bool:
            log = await client.get("/v1/deliveries", params={"request_id": event.request_id})
            return bool(log.json()) and log.json()[0]["status"] == "delivered"

        await eventually(delivered)
        (entry,) = (
            await client.get("/v1/deliveries", params={"request_id": event.request_id})
        ).json()
    assert [a["status_code"] for a in entry["attempt_log"]] == [500, 500, 200]
    assert entry["attempts"] == 3
    assert entry["role"] == "requester"
    assert entry["event_id"] == event.event_id

    records = await read_topic(stack, "sosa.deliveries.v1", 3)
    published = [deliveries.DeliveryAttempted.model_validate_json(r.value) for r in records]
    assert [p.outcome for p in published] == ["retrying", "retrying", "delivered"]
    assert {r.key for r in records} == {event.request_id.encode()}
    assert {p.message_id for p in published} == {event.event_id}
    assert dict(records[0].headers)["ce_type"] == deliveries.ATTEMPTED.encode()


async def test_gone_disables_the_endpoint_and_tells_operators(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier()
    gone, ops_hook = hooks.add(statuses=[410]), hooks.add()
    async with (
        api(stack, "dod-navsea") as client,
        api(stack, OPERATORS) as ops,
        Outcomes(stack) as topic,
    ):
        endpoint = await subscribe(client, gone.url)
        await subscribe(ops, ops_hook.url, event_types=["operator.*"])
        await topic.publish(routed())
        await gone.wait_for(1)
        alerts = {
            json.loads(hit.body)["type"]: json.loads(hit.body) for hit in await ops_hook.wait_for(2)
        }
        state = (await client.get(f"/v1/endpoints/{endpoint['endpoint_id']}")).json()
        await topic.publish(routed())  # nothing more goes to a disabled endpoint
        await read_stream(stack, "dod-navsea", 1, last_event_id="1")  # it was consumed
        log = (await client.get("/v1/deliveries")).json()
    assert [entry["status"] for entry in log] == ["failed"]
    alert = alerts["operator.endpoint_disabled"]
    assert alert["data"]["reason"] == "gone"
    assert alerts["operator.delivery_failed"]["data"]["reason"] == "endpoint_disabled"
    assert alert["data"]["endpoint_id"] == endpoint["endpoint_id"]
    assert state["enabled"] is False
    assert state["disabled_reason"] == "gone"
    assert len(gone.hits) == 1


async def test_sustained_failure_disables_the_endpoint(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier(
        retry_schedule_s="[0, 0.2, 0.2, 0.2, 0.2]",
        endpoint_disable_min_failures="4",
        endpoint_disable_after_s="0.3",
    )
    failing, ops_hook = hooks.add(statuses=[500] * 10), hooks.add()
    async with api(stack, "dod-navsea") as client, api(stack, OPERATORS) as ops:
        endpoint = await subscribe(client, failing.url)
        await subscribe(ops, ops_hook.url, event_types=["operator.endpoint_disabled"])
        async with Outcomes(stack) as topic:
            await topic.publish(routed())
        (alert,) = await ops_hook.wait_for(1)
        state = (await client.get(f"/v1/endpoints/{endpoint['endpoint_id']}")).json()
    assert json.loads(alert.body)["data"]["reason"] == "sustained_failure"
    assert state["disabled_reason"] == "sustained_failure"
    assert state["failure_streak"] >= 4


async def test_a_slow_endpoint_does_not_delay_a_fast_one(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    # four slots in all: without a limit per endpoint, the slow one would soon hold all four
    stack = await launch_notifier(dispatch_concurrency="4", endpoint_concurrency="2")
    slow, fast = hooks.add(delay_s=4), hooks.add()
    async with (
        api(stack, "slow-party") as slow_client,
        api(stack, "fast-party") as fast_client,
        Outcomes(stack) as topic,
    ):
        await subscribe(slow_client, slow.url)
        await subscribe(fast_client, fast.url)
        await topic.publish(routed(requester="fast-party", supplier="nobody"))
        await fast.wait_for(1)  # the notifier has joined its consumer group: timing starts
        events = [routed(requester="slow-party", supplier="fast-party") for _ in range(12)]
        await topic.publish(*events)
        await fast.wait_for(13, timeout_s=3.5)  # the slow one needs 6 rounds of 4 s
    assert len(slow.hits) <= 2, "the slow endpoint kept to its own two slots"


async def test_rotated_secret_signs_with_the_old_and_the_new_secret(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    stack = await launch_notifier()
    hook = hooks.add()
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        endpoint = await subscribe(client, hook.url)
        rotated = await client.post(
            f"/v1/endpoints/{endpoint['endpoint_id']}/secret/rotate", json={"grace_period_s": 60}
        )
        assert rotated.status_code == 200, rotated.text
        await topic.publish(routed())
        (hit,) = await hook.wait_for(1)
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(hit.body, hit.headers)  # a receiver not yet updated
    Webhook(rotated.json()["secret"]).verify(hit.body, hit.headers)  # an updated receiver


async def test_each_role_receives_only_its_fields(launch_notifier: Launch, hooks: Hooks) -> None:
    stack = await launch_notifier()
    parties = {"in-mod": hooks.add(), "acme-valves": hooks.add(), "dod-ibp": hooks.add()}
    async with Outcomes(stack) as topic:
        for party, hook in parties.items():
            async with api(stack, party) as client:
                await subscribe(client, hook.url)
        awaiting = routed(
            requester="in-mod",
            supplier="acme-valves",
            pending_authority="dod-ibp",
            state=RequestState.AWAITING_DETERMINATION,
        )
        await topic.publish(awaiting, routed(requester="in-mod", supplier="acme-valves"))
        bodies = [json.loads(hit.body) for hit in await parties["in-mod"].wait_for(2)]
        requester_view = {body["type"]: body for body in bodies}  # arrival order may vary
        authority_view = json.loads((await parties["dod-ibp"].wait_for(1))[0].body)
        supplier_view = json.loads((await parties["acme-valves"].wait_for(1))[0].body)
    waiting = requester_view["request.awaiting_determination"]["data"]
    assert waiting["parties"]["pending_authority"] == "dod-ibp"
    assert "deadline" in requester_view["request.routed"]["data"]["decision"]
    assert authority_view["type"] == "request.awaiting_determination"
    assert "deadline" not in authority_view["data"]["decision"]
    assert supplier_view["type"] == "request.routed", "not told before it is addressed"
    assert "awaiting" not in supplier_view["data"]["decision"]
    assert "caused_by" not in supplier_view["data"]
    async with api(stack, "acme-valves") as client:
        log = (await client.get("/v1/deliveries")).json()
    assert [entry["role"] for entry in log] == ["supplier"]
    assert "decision.deadline" in log[0]["fields"]
    assert "parties.pending_authority" not in log[0]["fields"]


async def test_the_embedded_sqlite_default_works_too(
    launch_notifier: Launch, hooks: Hooks, tmp_path: Path
) -> None:
    """`make run` keeps the notifier's tables in SQLite: the same flow must hold there."""
    stack = await launch_notifier(
        notifier_database_url=f"sqlite+aiosqlite:///{tmp_path}/notifier.db",
        retry_schedule_s="[0, 0.2]",
    )
    hook = hooks.add(statuses=[500])
    async with api(stack, "dod-navsea") as client, Outcomes(stack) as topic:
        endpoint = await subscribe(client, hook.url)
        rotated = await client.post(f"/v1/endpoints/{endpoint['endpoint_id']}/secret/rotate")
        event = routed()
        await topic.publish(event)
        hits = await hook.wait_for(2)
        streamed = await read_stream(stack, "dod-navsea", 1, last_event_id="0")
    Webhook(rotated.json()["secret"]).verify(hits[1].body, hits[1].headers)
    assert [hit.headers["webhook-id"] for hit in hits] == [event.event_id] * 2
    assert streamed[0].data["data"]["request_id"] == event.request_id


async def test_a_test_message_goes_to_one_endpoint_signed_and_shows_in_its_log(
    launch_notifier: Launch, hooks: Hooks
) -> None:
    """`POST /v1/endpoints/{id}/test`: one signed `endpoint.test` message to that endpoint alone,
    whatever it subscribes to; its attempt is logged with the receiver's status; another party
    cannot send it; a disabled endpoint is refused (409) until enabled."""
    stack = await launch_notifier()
    hook, other_hook = hooks.add(statuses=[503]), hooks.add()
    async with api(stack, "dod-navsea") as client, api(stack, "dod-army") as other:
        created = await subscribe(client, hook.url, event_types=["request.overdue"])
        await subscribe(client, other_hook.url)
        endpoint = created["endpoint_id"]
        sent = await client.post(f"/v1/endpoints/{endpoint}/test")
        assert sent.status_code == 202, sent.text
        delivery = sent.json()
        assert (delivery["event_type"], delivery["endpoint_id"]) == ("endpoint.test", endpoint)
        assert delivery["request_id"] is None
        (hit,) = await hook.wait_for(1)
        Webhook(created["secret"]).verify(hit.body, hit.headers)
        body = json.loads(hit.body)
        assert body["type"] == "endpoint.test"
        assert body["data"]["endpoint_id"] == endpoint
        assert hit.headers["webhook-id"] == delivery["event_id"]

        async def attempted() -> bool:
            log = await client.get(f"/v1/deliveries/{delivery['delivery_id']}")
            return bool(log.json()["attempt_log"])

        await eventually(attempted)
        logged = (await client.get(f"/v1/deliveries/{delivery['delivery_id']}")).json()
        assert logged["attempt_log"][0]["status_code"] == 503
        assert not other_hook.hits  # the party's other endpoint got nothing

        refused = await other.post(f"/v1/endpoints/{endpoint}/test")
        assert refused.status_code == 404, refused.text
        assert (await client.patch(f"/v1/endpoints/{endpoint}", json={"enabled": False})).is_success
        disabled = await client.post(f"/v1/endpoints/{endpoint}/test")
        assert disabled.status_code == 409, disabled.text
        assert "enable it first" in disabled.json()["detail"]
