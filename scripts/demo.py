"""The `make run` demonstration: a webhook receiver, one subscription and one request, end to end.

As the bootstrap operator (`SOSA_BOOTSTRAP_OPERATOR_KEY`, set by scripts/run.sh) it creates the
demo requester and supplier at intake and issues the requester an API key; it waits until the
notifier knows that key (it travels as a hash on `sosa.parties.v1`). As the requester it then
subscribes a small receiver that verifies every webhook's Standard Webhooks signature, posts a
DPAS priority request to intake, and prints what happens. It then keeps the receiver running
(printing each webhook) until it is stopped. No key is ever printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

INTAKE = os.environ.get("SOSA_DEMO_INTAKE", "http://127.0.0.1:8000")
KEYS = Path(__file__).resolve().parents[1] / "var" / "keys"
"""Where the demo leaves each party's API key, readable by this user only, for the workspace."""
NOTIFIER = os.environ.get("SOSA_DEMO_NOTIFIER", "http://127.0.0.1:8002")
RECEIVER_PORT = int(os.environ.get("SOSA_DEMO_RECEIVER_PORT", "8099"))
PARTIES = [
    {"party_id": "dod-navsea", "name": "NAVSEA", "roles": ["requester"], "kind": "us_dod"},
    {
        "party_id": "acme-valves",
        "name": "Acme Valves Inc.",
        "roles": ["supplier"],
        "kind": "us_supplier",
        "timezone": "America/New_York",
    },
]
"""With their attributes: intake takes the facts the rules use about a party from them (#23)."""

REQUEST: dict[str, Any] = {
    "requester": {"party_id": "dod-navsea", "kind": "us_dod", "country": "US", "name": "NAVSEA"},
    "supplier": {"party_id": "acme-valves", "name": "Acme Valves Inc.", "country": "US"},
    "contract_number": "N00024-26-C-0001",
    "rating": "DX-A3",
    "items": [{"description": "Ball valve, 2 inch, naval bronze", "quantity": "40"}],
    "required_delivery_dates": ["2027-03-01"],
    "authorized_signer": "J. Smith, Contracting Officer",
    "certification_statement": (
        "This is a rated order certified for national defense use, and you are required to "
        "follow all the provisions of the Defense Priorities and Allocations System regulation "
        "(15 CFR 700)."
    ),
}


def say(text: str) -> None:
    sys.stdout.write(f"[demo] {text}\n")
    sys.stdout.flush()


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.arrived = asyncio.Event()

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            say(f"webhook REJECTED: bad signature ({exc})")
            return Response(status_code=400)
        event = json.loads(body)
        data = event["data"]
        say(
            f"webhook received, signature verified: {event['type']} "
            f"(webhook-id {request.headers['webhook-id']}, request {data['request_id']}, "
            f"path {data['path']}, deadline {data['decision'].get('deadline')})"
        )
        self.arrived.set()
        return Response(status_code=204)


async def party_key(client: httpx.AsyncClient, party_id: str) -> str:
    """A new API key for the party, issued with the operator key; also written to
    var/keys/<party>.key (mode 600), so that a person can sign into the workspace as the party."""
    operator = {"Authorization": f"Bearer {os.environ['SOSA_BOOTSTRAP_OPERATOR_KEY']}"}
    issued = await client.post(
        f"{INTAKE}/v1/parties/{party_id}/api-keys", json={"label": "demo"}, headers=operator
    )
    issued.raise_for_status()
    key = str(issued.json()["api_key"])
    KEYS.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = KEYS / f"{party_id}.key"
    path.touch(mode=0o600)
    path.chmod(0o600)  # a file an earlier run left keeps no wider mode
    path.write_text(key + "\n")
    return key


async def requester_key(client: httpx.AsyncClient) -> dict[str, str]:
    """Create the demo parties (once per database) and a fresh key for the requester; wait
    until the notifier accepts it. The headers to call as the requester."""
    operator = {"Authorization": f"Bearer {os.environ['SOSA_BOOTSTRAP_OPERATOR_KEY']}"}
    for party in PARTIES:
        created = await client.post(f"{INTAKE}/v1/parties", json=party, headers=operator)
        if created.status_code == 409:  # made by an earlier run, perhaps before attributes
            attributes = {k: v for k, v in party.items() if k in ("kind", "timezone")}
            patched = await client.patch(
                f"{INTAKE}/v1/parties/{party['party_id']}", json=attributes, headers=operator
            )
            patched.raise_for_status()
        else:
            created.raise_for_status()
    headers = {"Authorization": f"Bearer {await party_key(client, 'dod-navsea')}"}
    await party_key(client, "acme-valves")
    say(
        "operator created parties dod-navsea (us_dod, US) and acme-valves (us_supplier, US, "
        "America/New_York) with the operator key of this run, which is in var/operator.key "
        "(paste it into the dashboard); each party got an API key of this run, in "
        "var/keys/<party>.key (paste one into the workspace to act as that party)"
    )
    async with asyncio.timeout(60):
        while (await client.get(f"{NOTIFIER}/v1/me", headers=headers)).status_code != 200:  # noqa: ASYNC110 - polls the notifier
            await asyncio.sleep(0.2)
    return headers


async def posture_change(client: httpx.AsyncClient, before: dict[str, Any]) -> str:
    """An operator declares an emergency: the open request's reminders are planned again, a new
    request is decided under it (its DPAS deadline as the regulation sets it); then peacetime.
    The new request's id: it stays open, for the supplier to answer in the workspace."""
    operator = {"Authorization": f"Bearer {os.environ['SOSA_BOOTSTRAP_OPERATOR_KEY']}"}
    body = {"posture": "emergency", "reason": "demo: supply shock exercise"}
    changed = await client.put(f"{INTAKE}/v1/posture/global", json=body, headers=operator)
    changed.raise_for_status()
    say(f"PUT /v1/posture/global emergency -> {changed.status_code}")
    shown = (await client.get(f"{INTAKE}/v1/posture")).json()["global"]
    settings = shown["settings"]
    say(
        f"GET /v1/posture -> global {shown['posture']} ({settings['highlight']}): reminders at "
        f"{settings['reminder_fractions']} of the window, early escalation "
        f"{settings['escalation_margin_working_days']} working day(s) before the deadline"
    )
    posted = await client.post(
        f"{INTAKE}/v1/priority-requests", json={**REQUEST, "contract_number": "N00024-26-C-0002"}
    )
    posted.raise_for_status()
    url = f"{INTAKE}/v1/priority-requests/{posted.json()['request_id']}"
    view = (await client.get(url)).json()
    async with asyncio.timeout(60):
        while view["state"] == "received":
            await asyncio.sleep(0.2)
            view = (await client.get(url)).json()
    decision = view["decision"]
    named = [f["reason"] for f in decision["findings"] if "Posture" in f["reason"]]
    say(
        f"a new DX request under emergency: {len(decision['reminders'])} reminders (peacetime "
        f"gave {len(before['decision']['reminders'])}), early escalation at "
        f"{decision['early_escalation_at']}, deadline {decision['deadline']} (10 working days, "
        "as 15 CFR 700.13(d) sets)"
    )
    for reason in named:
        say(f"  {reason}")
    back = {"posture": "peacetime", "reason": "demo over"}
    reset = await client.put(f"{INTAKE}/v1/posture/global", json=back, headers=operator)
    reset.raise_for_status()
    say("PUT /v1/posture/global peacetime -> 202 (the demo leaves peacetime in force)")
    return str(view["request_id"])


async def supplier_accepts(client: httpx.AsyncClient, request_id: str) -> None:
    """As acme-valves (a key the operator issues it), accept the first request, so that the
    figures have an answer to count."""
    supplier = {"Authorization": f"Bearer {(KEYS / 'acme-valves.key').read_text().strip()}"}
    url = f"{INTAKE}/v1/priority-requests/{request_id}"
    answer = {"supplier_party_id": "acme-valves", "kind": "accept"}
    accepted = await client.post(f"{url}/responses", json=answer, headers=supplier)
    accepted.raise_for_status()
    async with asyncio.timeout(60):
        while (await client.get(url)).json()["state"] != "accepted":  # noqa: ASYNC110 - polls intake
            await asyncio.sleep(0.2)
    say(f"acme-valves accepts request {request_id} -> state accepted")


async def analytics_answer(client: httpx.AsyncClient) -> None:
    """Resilience figures over the requests the requester may see (all of this demo's, and
    earlier runs' on the same database): how concentrated the rated work is, which programs
    have a single accepting supplier, and how fast suppliers answer."""
    answer = (await client.get(f"{INTAKE}/v1/analytics/concentration?by=program")).json()
    say(
        f"GET /v1/analytics/concentration?by=program -> over {answer['requests']} request(s) "
        "(this run's and earlier runs': var/ persists across runs; remove var/sosa to start "
        "afresh):"
    )
    for row in answer["rows"][:3]:
        shares = ", ".join(f"{s} {v:.0%}" for s, v in row["shares"].items())
        say(
            f"  program {row['key']}: {row['total']} rated request(s), "
            f"HHI {row['hhi']:.2f} ({shares})"
        )
    for line in textwrap.wrap(f"method: {answer['method']}", width=96):
        say(f"  {line}")  # whole words: the method is wrapped, never cut
    gaps = (await client.get(f"{INTAKE}/v1/analytics/redundancy-gaps?by=program")).json()
    for gap in gaps["rows"][:3]:
        accepting = ", ".join(gap["accepting"]) or "no supplier"
        say(f"  redundancy gap: program {gap['key']}, accepted by {accepting} only")
    times = (await client.get(f"{INTAKE}/v1/analytics/answer-times")).json()
    for row in times["rows"]:
        say(
            f"  median time to first answer on path {row['path']}: "
            f"{row['median_hours'] * 3600:.1f} s over {row['answered']} answered request(s)"
        )


async def main() -> int:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=RECEIVER_PORT, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(timeout=10) as anonymous:
        headers = await requester_key(anonymous)
    async with httpx.AsyncClient(timeout=10, headers=headers) as client:
        hook = f"http://127.0.0.1:{RECEIVER_PORT}/hook"
        # an earlier run's endpoint for this receiver signs with its own secret: remove it
        for old in (await client.get(f"{NOTIFIER}/v1/endpoints")).json():
            if old["url"] == hook:
                await client.delete(f"{NOTIFIER}/v1/endpoints/{old['endpoint_id']}")
        endpoint = await client.post(f"{NOTIFIER}/v1/endpoints", json={"url": hook})
        endpoint.raise_for_status()
        receiver.secret = endpoint.json()["secret"]
        say(f"subscribed http://127.0.0.1:{RECEIVER_PORT}/hook for party dod-navsea")

        posted = await client.post(f"{INTAKE}/v1/priority-requests", json=REQUEST)
        posted.raise_for_status()
        request_id = posted.json()["request_id"]
        say(f"POST /v1/priority-requests -> {posted.status_code}, request {request_id}")

        await asyncio.wait_for(receiver.arrived.wait(), timeout=60)
        view = (await client.get(f"{INTAKE}/v1/priority-requests/{request_id}")).json()
        while view["state"] == "received":
            await asyncio.sleep(0.2)
            view = (await client.get(f"{INTAKE}/v1/priority-requests/{request_id}")).json()
        say(f"GET /v1/priority-requests/{request_id} -> state {view['state']}, path {view['path']}")
        for finding in view["decision"]["findings"]:
            say(f"  {finding['citation']}: {finding['reason']}")
        waiting = await posture_change(client, view)
        await supplier_accepts(client, request_id)
        await analytics_answer(client)
    say(
        f"request {waiting} awaits acme-valves' answer: open {INTAKE}/workspace and paste "
        "var/keys/acme-valves.key to answer it (var/keys/dod-navsea.key to amend or cancel it)"
    )
    say("demo flow complete; the receiver keeps printing webhooks until Ctrl-C")
    await serving
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
