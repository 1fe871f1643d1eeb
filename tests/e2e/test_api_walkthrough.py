"""docs/api.md runs as written (#26): every `bash` block of it, in order, as one script, against a
stack of this test's own (intake and the notifier on ports of their own, given to the script as
SOSA_INTAKE_URL and SOSA_NOTIFIER_URL, which the walkthrough reads with make run's ports as the
default), from a directory whose `var/operator.key` holds the stack's operator key, as `make run`
leaves it. Only a block preceded by `<!-- walkthrough: skip (why) -->` is left out.

curl's own write-out (a `.curlrc` of the test's) reports every call's status on stderr, so that
each step is checked: the script ends without error, every call is answered 2xx except the one the
walkthrough shows refused (the ministry posing as DoD: 403; a party that exists already: 409, as
the walkthrough says), and the delivery log at the end lists
the requester's webhook deliveries (it used to be `[]`)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Receiver
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db, pytest.mark.timeout(300)]

DOC = Path(__file__).parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"(<!-- walkthrough: skip[^>]*-->\s*)?```bash\n(.*?)```", re.S)
STATUS = re.compile(r"^HTTP (\d{3}) (\S+) (\S+)$", re.M)
REFUSED_AS_SHOWN = [("403", "POST", "/v1/priority-requests")]
"""The calls the walkthrough shows refused: section 3's ministry that says it is DoD."""
EXISTING_PARTY = ("409", "POST", "/v1/parties")
"""A party that exists already (this stack registers some; so does a second run): fine, as the
walkthrough says; its key is issued all the same."""


def walkthrough() -> str:
    blocks = [body for skip, body in BLOCK.findall(DOC.read_text("utf-8")) if not skip]
    assert len(blocks) > 15, "the walkthrough's blocks were not found"
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_the_script_is_every_block_but_the_ones_marked() -> None:
    text = DOC.read_text("utf-8")
    assert text.count("```bash") == len(BLOCK.findall(text))
    assert "var/operator.key" in walkthrough()
    assert "Idempotency-Key" in walkthrough()
    assert "%2B05:30" in walkthrough()
    assert "clock/advance" not in walkthrough()  # the one block that moves the router's clock


async def test_the_walkthrough_runs_as_written(
    stack: Stack, receiver: Receiver, tmp_path: Path
) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "operator.key").write_text(BOOTSTRAP_OPERATOR_KEY + "\n")
    (tmp_path / ".curlrc").write_text(
        'write-out = "%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n"\n'
    )
    env = {
        **os.environ,
        "CURL_HOME": str(tmp_path),
        "SOSA_INTAKE_URL": stack.url("intake"),
        "SOSA_NOTIFIER_URL": stack.url("notifier"),
        "HOOK": receiver.url,
    }
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    calls = STATUS.findall(done.stderr)
    assert len(calls) > 40, done.stderr[-2000:]
    refused = [
        (code, method, url.removeprefix(stack.url("intake")).split("?")[0])
        for code, method, url in calls
        if not code.startswith("2")
    ]
    refused = [call for call in refused if call != EXISTING_PARTY]
    assert refused == REFUSED_AS_SHOWN, done.stderr[-3000:]
    # section 10: the requester's webhook was told, so its delivery log is not empty
    last = done.stdout.strip().splitlines()[-1]
    assert '"delivery_id"' in last, last
    assert receiver.received, "the requester's webhook got nothing"
