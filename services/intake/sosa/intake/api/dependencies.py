"""What route functions get injected: the running process's shared state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sosa.intake.runtime import Runtime


def runtime(request: Request) -> Runtime:
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]
