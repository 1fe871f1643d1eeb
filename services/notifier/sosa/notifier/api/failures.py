"""`GET /v1/delivery-failures`: failures by webhook endpoint and e-mail recipient."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sosa.contracts.instants import Instant
from sosa.infra.problem_docs import problems
from sosa.notifier import delivery_failures
from sosa.notifier.api.caller import CallerDep, RuntimeDep

router = APIRouter(tags=["deliveries"])


class TargetFailures(BaseModel):
    channel: str
    target_id: str
    party_id: str | None
    target: str | None
    """The endpoint's URL or the recipient's address."""
    enabled: bool | None
    disabled_reason: str | None
    failure_streak: int
    failing_since: datetime | None
    failed_attempts: int
    """Attempts without a 2xx answer since `since`."""
    last_failure_at: datetime | None
    failed: int
    """Deliveries given up on (retries exhausted, refused, endpoint disabled), at any time."""
    retrying: int
    """Deliveries waiting for another attempt after a failure."""
    last_error: str | None


class DeliveryFailures(BaseModel):
    since: datetime
    targets: list[TargetFailures]


@router.get(
    "/delivery-failures",
    response_model=DeliveryFailures,
    summary="Delivery failures by endpoint and recipient",
    description="Every webhook endpoint and e-mail recipient with a failed attempt since "
    "`since` (default: the last 24 hours) or with deliveries now failed or awaiting a retry. "
    "Operators see every party's; any other party its own.",
    responses=problems(422, 503),
)
async def failures(
    rt: RuntimeDep,
    caller: CallerDep,
    since: Annotated[
        Instant | None, Query(description="Start of the window (ISO 8601 with its offset).")
    ] = None,
) -> DeliveryFailures:
    start = since or rt.clock.now() - timedelta(hours=24)
    async with rt.sessions() as session:
        targets = await delivery_failures.by_target(
            session, since=start, party_id=None if caller.operator else caller.party_id
        )
    return DeliveryFailures(
        since=start, targets=[TargetFailures.model_validate(t) for t in targets]
    )
