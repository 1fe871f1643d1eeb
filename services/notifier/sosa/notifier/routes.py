"""Notifier's HTTP routes: webhook endpoints per party, and the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from sosa.notifier import signing, tables
from sosa.notifier.runtime import Runtime
from sosa.notifier.schemas import AttemptOut, DeliveryOut, EndpointCreated, EndpointIn, EndpointOut

router = APIRouter(prefix="/v1")


def runtime(request: Request) -> Runtime:
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]


@router.post(
    "/endpoints",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointCreated,
    tags=["endpoints"],
    summary="Subscribe a webhook endpoint for a party",
)
async def create_endpoint(body: EndpointIn, rt: RuntimeDep) -> EndpointCreated:
    created = EndpointCreated(
        endpoint_id=str(uuid.uuid4()),
        party_id=body.party_id,
        url=str(body.url),
        event_types=body.event_types,
        description=body.description,
        enabled=True,
        created_at=rt.clock.now(),
        secret=signing.new_secret(),
    )
    async with rt.sessions() as session, session.begin():
        await session.execute(tables.endpoints.insert().values(**created.model_dump()))
    return created


@router.get(
    "/endpoints",
    response_model=list[EndpointOut],
    tags=["endpoints"],
    summary="A party's endpoints",
)
async def list_endpoints(
    rt: RuntimeDep, party_id: Annotated[str, Query(max_length=128)]
) -> list[EndpointOut]:
    async with rt.sessions() as session:
        rows = (
            await session.execute(
                select(tables.endpoints)
                .where(tables.endpoints.c.party_id == party_id)
                .order_by(tables.endpoints.c.created_at)
            )
        ).all()
    return [EndpointOut.model_validate(row, from_attributes=True) for row in rows]


@router.get(
    "/deliveries",
    response_model=list[DeliveryOut],
    tags=["deliveries"],
    summary="The delivery log of a request",
)
async def list_deliveries(
    rt: RuntimeDep, request_id: Annotated[str, Query(max_length=64)]
) -> list[DeliveryOut]:
    d, a = tables.deliveries, tables.attempts
    async with rt.sessions() as session:
        rows = (
            await session.execute(
                select(d).where(d.c.request_id == request_id).order_by(d.c.created_at)
            )
        ).all()
        attempts = (
            await session.execute(
                select(a)
                .where(a.c.delivery_id.in_([r.delivery_id for r in rows]))
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
