"""The receiver shown in docs/notifications.md works: it accepts a signed webhook once,
de-duplicates its retry, and refuses a forged one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from sosa.notifier.signing import new_secret, signed_headers

DOC = Path(__file__).parents[3] / "docs" / "notifications.md"


async def test_the_documented_receiver_verifies_and_deduplicates(capsys: Any) -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert code is not None
    secret = new_secret()
    namespace: dict[str, Any] = {}
    exec(code.group(1).replace("whsec_…", secret), namespace)
    app = Starlette(routes=[Route("/hook", namespace["hook"], methods=["POST"])])
    body = '{"type":"request.routed","timestamp":"t","data":{"request_id":"r1"}}'
    headers = signed_headers(secret, message_id="evt-1", sent_at=datetime.now(UTC), body=body)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        first = await client.post("/hook", content=body, headers=headers)
        retry = await client.post("/hook", content=body, headers=headers)
        forged = await client.post("/hook", content=body.replace("r1", "r2"), headers=headers)
    assert (first.status_code, retry.status_code, forged.status_code) == (204, 204, 400)
    assert capsys.readouterr().out.count("request.routed r1") == 1
