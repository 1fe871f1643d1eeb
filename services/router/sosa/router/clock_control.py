"""The test clock: `POST /v1/clock/advance` moves the router's time forward.

Mounted only when `SOSA_ROUTER_CLOCK_CONTROL` is true (tests; `make run` and production leave
it off) and then only for operators, authenticated like every other API of the exchange
(`sosa.infra.auth`): a missing or wrong credential is 401, another role 403.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from sosa.infra.auth import CallerDep
from sosa.infra.clock import AdjustableClock


class Advance(BaseModel):
    seconds: float = Field(gt=0, le=10 * 365 * 24 * 3600)


class ClockReading(BaseModel):
    now: datetime


def clock_control(clock: AdjustableClock) -> APIRouter:
    router = APIRouter(tags=["test clock"])

    @router.post(
        "/v1/clock/advance",
        summary="Move the router's clock forward (tests only; operators only)",
        responses={
            401: {"description": "No or a wrong credential"},
            403: {"description": "Not an operator"},
        },
    )
    async def advance(body: Advance, caller: CallerDep) -> ClockReading:
        if not caller.operator:
            raise HTTPException(403, "only operators may move the test clock")
        return ClockReading(now=clock.advance(timedelta(seconds=body.seconds)))

    return router
