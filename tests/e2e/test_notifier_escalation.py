# ruff: noqa: F811 - pytest fixtures imported from notifier_support are parameters here
"""Deadline-aware escalation and e-mail, with a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.notifier_support import (  # noqa: F401 - fixtures among them
    OPERATORS,
    Hooks,
    Launch,
    Mailbox,
    Outcomes,
    api,
    hooks,
    launch_notifier,
    routed,
    smtp,
    subscribe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]


async def test_an_undelivered_clock_notice_goes_by_email_before_the_deadline(
    launch_notifier: Launch, hooks: Hooks, smtp: Mailbox
) -> None:
    stack = await launch_notifier(
        smtp_host="127.0.0.1",
        smtp_port=str(smtp.port),
        escalation_margin_s="8",
        retry_schedule_s=json.dumps([0] + [1] * 30),  # keeps retrying through the deadline
    )
    down, ops_hook = hooks.add(statuses=[500] * 100), hooks.add()
    async with (
        api(stack, "acme-valves") as supplier,
        api(stack, OPERATORS) as ops,
        Outcomes(stack) as topic,
    ):
        await subscribe(supplier, down.url)
        mail = await supplier.post(
            "/v1/email-recipients", json={"address": "orders@acme-valves.example"}
        )
        assert mail.status_code == 201, mail.text
        assert mail.json()["mode"] == "fallback"
        await subscribe(ops, ops_hook.url, event_types=["operator.delivery_escalated"])

        deadline = datetime.now(UTC) + timedelta(seconds=14)
        event = routed(supplier="acme-valves", deadline=deadline)
        await topic.publish(event)
        (sent,) = await smtp.wait_for(1)
        arrived = datetime.now(UTC)
        (alert,) = await ops_hook.wait_for(1)
        log = await log_once_recorded(supplier, event.request_id, "email")

    assert arrived < deadline, "the party heard before its deadline"
    # at the escalation point, or up to one retry interval before it: a retry that would land
    # after the point escalates at once
    assert arrived > deadline - timedelta(seconds=8 + 1.5), "not long before the point"
    assert down.hits, "the webhook was tried first"
    assert sent["To"] == "orders@acme-valves.example"
    assert sent["Sosa-Message-Id"] == event.event_id
    assert event.request_id in sent["Subject"]
    kinds = {part.get_content_type() for part in sent.walk()}
    assert {"text/plain", "text/html"} <= kinds
    plain = sent.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "decision.deadline" in plain.get_content()

    notice = json.loads(alert.body)
    assert notice["type"] == "operator.delivery_escalated"
    assert notice["data"]["party_id"] == "acme-valves"
    assert notice["data"]["escalated_to"][0]["channel"] == "email"
    by_channel = {entry["channel"]: entry for entry in log}
    assert by_channel["email"]["status"] == "delivered"
    assert by_channel["email"]["escalated_from"] == by_channel["webhook"]["delivery_id"]
    assert by_channel["webhook"]["escalated_at"] is not None
    assert by_channel["email"]["attempt_log"][0]["status_code"] == 250


async def log_once_recorded(
    client: httpx.AsyncClient, request_id: str, channel: str
) -> list[dict[str, Any]]:
    """The delivery log of `request_id` once the `channel` delivery's attempt is recorded: an
    attempt is recorded after its answer (with the others that finish about then), so the mail
    may be in the mailbox a moment before the log says it was sent."""
    async with asyncio.timeout(10):
        while True:
            log = (await client.get("/v1/deliveries", params={"request_id": request_id})).json()
            if any(e["channel"] == channel and e["status"] != "pending" for e in log):
                return list(log)
            await asyncio.sleep(0.05)


async def test_a_party_with_only_email_gets_every_message_by_email(
    launch_notifier: Launch, smtp: Mailbox
) -> None:
    stack = await launch_notifier(smtp_host="127.0.0.1", smtp_port=str(smtp.port))
    async with api(stack, "dod-navsea") as requester, Outcomes(stack) as topic:
        created = await requester.post(
            "/v1/email-recipients",
            json={"address": "po@navsea.example", "event_types": ["request.routed"]},
        )
        assert created.status_code == 201
        event = routed()
        await topic.publish(event)
        (sent,) = await smtp.wait_for(1)
    assert sent["Sosa-Event-Type"] == "request.routed"
    html = sent.get_body(preferencelist=("html",))
    assert html is not None
    assert event.request_id in html.get_content()
