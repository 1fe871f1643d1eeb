"""Starting the anchors as processes of their own (so that /proc tells their CPU time apart)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url

from tests.e2e.stack import free_port


@asynccontextmanager
async def bare_endpoint(logs: Path) -> AsyncIterator[tuple[str, int]]:
    """Anchor a, serving until the block ends: (its POST URL, its pid)."""
    async with _serving("bare_endpoint", logs) as served:
        yield served


@asynccontextmanager
async def durable_accept(
    logs: Path, *, database_url: str, bootstrap: str, topic: str
) -> AsyncIterator[tuple[str, int]]:
    """Anchor a2 on `database_url` (a SQLAlchemy URL: asyncpg's own form is passed on) and
    `topic`, serving until the block ends: (its POST URL, its pid)."""
    plain_url = make_url(database_url).set(drivername="postgresql")
    async with _serving(
        "durable_accept",
        logs,
        plain_url.render_as_string(hide_password=False),
        bootstrap,
        topic,
    ) as served:
        yield served


@asynccontextmanager
async def _serving(module: str, logs: Path, *args: str) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    process = _spawn(module, logs, str(port), *args)
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client, asyncio.timeout(60):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"anchor {module} exited ({process.returncode}): see {logs}")
                try:
                    if (await client.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        yield f"{base}/v1/priority-requests", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _spawn(module: str, logs: Path, *args: str) -> subprocess.Popen[bytes]:
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{module.replace('_', '-')}.log").open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - this interpreter, a module of the bench
            [sys.executable, "-m", f"bench.anchors.{module}", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def run_to_end(module: str, *args: str, timeout_s: float = 300) -> dict[str, Any]:
    """Run anchor `module` (b or c) to its end; what it printed as its last JSON line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"bench.anchors.{module}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{module} failed ({process.returncode}): {err.decode()[-2000:]}")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found
