"""The delivery log: every delivery and attempt, by request, party, channel or time; failed
deliveries sent again one by one (retry) or for a time window (recover)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.instants import Instant
from sosa.infra.problem_docs import problems
from sosa.infra.problems import invalid
from sosa.infra.resource_ids import ResourceId
from sosa.notifier import tables
from sosa.notifier.api.caller import Caller, CallerDep, RuntimeDep
from sosa.notifier.api.log_schemas import AttemptOut, DeliveryOut, Recovered, RecoverIn

router = APIRouter(prefix="/deliveries", tags=["deliveries"])
d, a, e, r = tables.deliveries, tables.attempts, tables.endpoints, tables.email_recipients
Filter = Annotated[ResourceId | None, Query()]
NO_DELIVERY = "No such delivery of the calling party (operators: of any party)"


def _scoped(query: Select[Any], caller: Caller) -> Select[Any]:
    return query if caller.operator else query.where(d.c.party_id == caller.party_id)


async def _with_attempts(session: AsyncSession, rows: list[Any]) -> list[DeliveryOut]:
    attempts = (
        await session.execute(
            select(a)
            .where(a.c.delivery_id.in_([row.delivery_id for row in rows]))
            .order_by(a.c.attempt_id)
        )
    ).all()
    by_delivery: dict[str, list[AttemptOut]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(
            AttemptOut.model_validate(attempt, from_attributes=True)
        )
    return [
        DeliveryOut.model_validate(
            {**row._mapping, "attempt_log": by_delivery.get(row.delivery_id, [])}
        )
        for row in rows
    ]


@router.get(
    "",
    response_model=list[DeliveryOut],
    summary="The delivery log, filtered",
    responses=problems(422, 503),
)
async def list_deliveries(
    rt: RuntimeDep,
    caller: CallerDep,
    request_id: Filter = None,
    party_id: Filter = None,
    endpoint_id: Filter = None,
    recipient_id: Filter = None,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(pending|delivered|failed)$")
    ] = None,
    since: Annotated[
        Instant | None, Query(description="Deliveries created at or after this time (with offset).")
    ] = None,
    until: Annotated[
        Instant | None, Query(description="Deliveries created before this time (with offset).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeliveryOut]:
    query = _scoped(select(d), caller)
    for column, value in (
        (d.c.request_id, request_id),
        (d.c.party_id, party_id),
        (d.c.endpoint_id, endpoint_id),
        (d.c.recipient_id, recipient_id),
        (d.c.status, status_),
    ):
        if value is not None:
            query = query.where(column == value)
    if since:
        query = query.where(d.c.created_at >= since)
    if until:
        query = query.where(d.c.created_at < until)
    async with rt.sessions() as session:
        rows = (await session.execute(query.order_by(d.c.created_at).limit(limit))).all()
        return await _with_attempts(session, list(rows))


@router.get(
    "/{delivery_id}",
    response_model=DeliveryOut,
    summary="One delivery and its attempts",
    responses=problems(404, 422, 503, _404=NO_DELIVERY),
)
async def get_delivery(delivery_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> DeliveryOut:
    async with rt.sessions() as session:
        rows = (
            await session.execute(_scoped(select(d), caller).where(d.c.delivery_id == delivery_id))
        ).all()
        if not rows:
            raise HTTPException(404, f"no delivery {delivery_id}")
        return (await _with_attempts(session, list(rows)))[0]


def _channel_enabled() -> Any:
    """The delivery's channel still takes messages (otherwise a retry would only fail again)."""
    live_hook = select(e.c.endpoint_id).where(e.c.enabled.is_(True), e.c.deleted_at.is_(None))
    live_mail = select(r.c.recipient_id).where(r.c.enabled.is_(True), r.c.deleted_at.is_(None))
    return or_(d.c.endpoint_id.in_(live_hook), d.c.recipient_id.in_(live_mail))


@router.post(
    "/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    summary="Send a failed (or waiting) delivery again now",
    responses=problems(
        404,
        409,
        422,
        503,
        _404=NO_DELIVERY,
        _409="It was delivered already, or its endpoint or recipient is disabled",
    ),
)
async def retry_delivery(delivery_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> DeliveryOut:
    found = await get_delivery(delivery_id, rt, caller)
    if found.status == "delivered":
        raise HTTPException(409, f"delivery {delivery_id} was delivered already")
    async with rt.sessions() as session, session.begin():
        changed = await session.execute(
            update(d)
            .where(d.c.delivery_id == delivery_id, d.c.status != "delivered", _channel_enabled())
            .values(status="pending", next_attempt_at=rt.clock.now())
        )
    if not getattr(changed, "rowcount", 0):
        raise HTTPException(409, "its endpoint or recipient is disabled; enable it first")
    rt.wake_dispatcher()
    return await get_delivery(delivery_id, rt, caller)


@router.post(
    "/recover",
    response_model=Recovered,
    summary="Send again every failed delivery created in a time window",
    responses=problems(
        422,
        503,
        _422="Malformed input (`errors` names each field at fault), "
        "or a window longer than SOSA_RECOVER_MAX_WINDOW_S",
    ),
)
async def recover(body: RecoverIn, rt: RuntimeDep, caller: CallerDep) -> Recovered:
    now = rt.clock.now()
    until = body.until or now
    if until - body.since > timedelta(seconds=rt.settings.recover_max_window_s):
        raise invalid("until", "the window is longer than SOSA_RECOVER_MAX_WINDOW_S")
    query = _scoped(select(d.c.delivery_id), caller).where(
        d.c.status == "failed",
        d.c.created_at >= body.since,
        d.c.created_at < until,
        _channel_enabled(),
    )
    for column, value in (
        (d.c.endpoint_id, body.endpoint_id),
        (d.c.recipient_id, body.recipient_id),
        (d.c.request_id, body.request_id),
    ):
        if value is not None:
            query = query.where(column == value)
    async with rt.sessions() as session, session.begin():
        ids = list((await session.scalars(query)).all())
        if ids:
            await session.execute(
                update(d)
                .where(d.c.delivery_id.in_(ids))
                .values(status="pending", next_attempt_at=now)
            )
    rt.wake_dispatcher()
    return Recovered(recovered=len(ids), delivery_ids=ids)
