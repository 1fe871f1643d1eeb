"""The HTTP load of the benchmarks: wrk (Debian's package, C, one thread per core it is given)
with bench/post_requests.lua, so that the load generator costs a small fraction of what it loads.

Each request is a DPAS-rated priority request (tests.faults.support.request_body) with a contract
number and an Idempotency-Key of its own; wrk reports what it got as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.support import request_body

SCRIPT = Path(__file__).with_name("post_requests.lua")
MARK = "@@RESULT@@"


@dataclass
class WrkRun:
    """What one wrk run got."""

    seconds: float
    requests: int
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.statuses.get("202", 0)

    @property
    def accepted_per_s(self) -> float:
        return round(self.accepted / self.seconds, 1) if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statuses": self.statuses,
            "socket_errors": {k: v for k, v in self.errors.items() if v and k != "status"},
            "seconds": round(self.seconds, 2),
            "accepted_per_s": self.accepted_per_s,
            "latency_202": {"count": self.requests, **self.latency_ms},
        }


def body_template() -> str:
    """The request body with @@N@@ where each request's number goes."""
    body = request_body(0)
    body["contract_number"] = "N00024-26-C-@@N@@"
    return json.dumps(body)


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: scripts/bench.sh installs Debian's package")
    return found


async def post_load(
    url: str,
    token: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    mean_delay_ms: float = 0.0,
) -> WrkRun:
    """POST priority requests to `url` for `seconds`: a closed loop of `connections` (each sends
    its next request once the last is answered), or, with `mean_delay_ms`, each connection
    pausing that long on average between requests."""
    with tempfile.TemporaryDirectory(prefix="sosa-bench-") as scratch:
        body = Path(scratch) / "body.json"
        body.write_text(body_template())
        process = await asyncio.create_subprocess_exec(
            require_wrk(),
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={seconds:g}s",
            "--timeout=30s",
            f"--script={SCRIPT}",
            url,
            "--",
            str(body),
            token,
            uuid.uuid4().hex[:12],
            f"{mean_delay_ms:g}",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    return parse(out.decode(), err.decode(), process.returncode)


def parse(stdout: str, stderr: str, code: int | None) -> WrkRun:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARK)), None)
    if code != 0 or line is None:
        raise RuntimeError(f"wrk failed ({code}): {stderr.strip() or stdout.strip()}")
    found = json.loads(line.removeprefix(MARK))
    latency = {f"{k}_ms": round(v / 1000, 1) for k, v in found["latency_us"].items()}
    return WrkRun(
        seconds=found["duration_us"] / 1e6,
        requests=found["requests"],
        statuses=dict(sorted(found["statuses"].items())),
        errors=found["errors"],
        latency_ms=latency,
    )
