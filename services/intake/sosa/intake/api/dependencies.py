"""What route functions get injected: the running process's shared state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sosa.intake.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    """Async, though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    a thread hop per request for an attribute read (#25, 2.3 % of intake's samples under load)."""
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]
