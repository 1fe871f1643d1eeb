"""Webhook endpoints of a party: subscribe, list, change, enable/disable, delete, rotate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import delete, select, update

from sosa.contracts.requests import PartyId
from sosa.infra.problem_docs import problems
from sosa.infra.problems import invalid
from sosa.infra.resource_ids import ResourceId
from sosa.notifier import event_types, signing, ssrf, tables
from sosa.notifier.api.caller import CallerDep, RuntimeDep
from sosa.notifier.api.deliveries import get_delivery
from sosa.notifier.api.log_schemas import DeliveryOut
from sosa.notifier.api.subscription_schemas import (
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    Rotated,
    RotateIn,
)
from sosa.notifier.channels import Channel
from sosa.notifier.deliveries import delivery_row
from sosa.notifier.messages import test_message
from sosa.notifier.runtime import Runtime

router = APIRouter(prefix="/endpoints", tags=["endpoints"])
e, k = tables.endpoints, tables.endpoint_secrets
MAX_OLD_SECRETS = 10  # like Svix: a rotation storm cannot grow the signature header forever
NO_ENDPOINT = "No such endpoint of the calling party (operators: of any party), or it was deleted"
ACTING_FOR = "`party_id` names another party, and the caller is not an operator"
URL_REFUSED = (
    "Malformed input (`errors` names each field at fault), or a URL the SSRF guard refuses"
)


async def _check_url(rt: Runtime, url: str) -> None:
    reason = await ssrf.refusal(url, rt.settings.webhook_allowed_networks)
    if reason:
        raise invalid("url", f"url refused: {reason}")


async def _visible(rt: Runtime, caller: CallerDep, endpoint_id: str) -> Any:
    async with rt.sessions() as session:
        row = (
            await session.execute(
                select(e).where(e.c.endpoint_id == endpoint_id, e.c.deleted_at.is_(None))
            )
        ).one_or_none()
    if row is None or not caller.sees(row.party_id):
        raise HTTPException(404, f"no endpoint {endpoint_id}")
    return row


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointCreated,
    summary="Subscribe a webhook endpoint for a party",
    responses=problems(403, 422, 503, _403=ACTING_FOR, _422=URL_REFUSED),
)
async def create_endpoint(body: EndpointIn, rt: RuntimeDep, caller: CallerDep) -> EndpointCreated:
    party_id = caller.acting_for(body.party_id)
    await _check_url(rt, str(body.url))
    values = {
        "endpoint_id": str(uuid.uuid4()),
        "party_id": party_id,
        "url": str(body.url),
        "event_types": event_types.as_stored(body.event_types),
        "description": body.description,
        "mode": body.mode,
        "max_in_flight": body.max_in_flight,
        "enabled": True,
        "failure_streak": 0,
        "created_at": rt.clock.now(),
        "secret": signing.new_secret(),
    }
    async with rt.sessions() as session, session.begin():
        sealed = rt.secret_box.seal(str(values["secret"]))  # only the answer holds it in clear
        await session.execute(e.insert().values(**{**values, "secret": sealed}))
    return EndpointCreated.model_validate(
        {**values, "disabled_reason": None, "disabled_at": None, "failing_since": None}
    )


@router.get(
    "",
    response_model=list[EndpointOut],
    summary="The calling party's endpoints",
    responses=problems(422, 503),
)
async def list_endpoints(
    rt: RuntimeDep,
    caller: CallerDep,
    party_id: Annotated[PartyId | None, Query()] = None,
) -> list[EndpointOut]:
    query = select(e).where(e.c.deleted_at.is_(None)).order_by(e.c.created_at)
    wanted = party_id if caller.operator else caller.party_id
    if wanted:
        query = query.where(e.c.party_id == wanted)
    async with rt.sessions() as session:
        rows = (await session.execute(query)).all()
    return [EndpointOut.model_validate(row, from_attributes=True) for row in rows]


@router.get(
    "/{endpoint_id}",
    response_model=EndpointOut,
    summary="One endpoint",
    responses=problems(404, 422, 503, _404=NO_ENDPOINT),
)
async def get_endpoint(endpoint_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> EndpointOut:
    return EndpointOut.model_validate(await _visible(rt, caller, endpoint_id), from_attributes=True)


@router.patch(
    "/{endpoint_id}",
    response_model=EndpointOut,
    summary="Change or (re-)enable",
    responses=problems(404, 422, 503, _404=NO_ENDPOINT, _422=URL_REFUSED),
)
async def patch_endpoint(
    endpoint_id: ResourceId, body: EndpointPatch, rt: RuntimeDep, caller: CallerDep
) -> EndpointOut:
    await _visible(rt, caller, endpoint_id)
    values: dict[str, Any] = body.model_dump(exclude_unset=True, mode="json")
    for required in ("url", "mode", "enabled"):  # null: leave as it is (the column is set)
        if values.get(required, ...) is None:
            del values[required]
    if "url" in values:
        await _check_url(rt, values["url"])
    if values.get("enabled") is True:
        values.update(disabled_reason=None, disabled_at=None, failure_streak=0, failing_since=None)
    elif values.get("enabled") is False:
        values.update(disabled_reason="by_party", disabled_at=rt.clock.now())
    if values:
        async with rt.sessions() as session, session.begin():
            await session.execute(update(e).where(e.c.endpoint_id == endpoint_id).values(values))
    rt.wake_dispatcher()
    return await get_endpoint(endpoint_id, rt, caller)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop sending here, for good",
    responses=problems(404, 422, 503, _404=NO_ENDPOINT),
)
async def delete_endpoint(endpoint_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> None:
    await _visible(rt, caller, endpoint_id)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        # the row stays (the delivery log refers to it); it is hidden and receives nothing
        await session.execute(
            update(e)
            .where(e.c.endpoint_id == endpoint_id)
            .values(enabled=False, disabled_reason="deleted", disabled_at=now, deleted_at=now)
        )


@router.post(
    "/{endpoint_id}/secret/rotate",
    response_model=Rotated,
    summary="New signing secret; the old one keeps signing for a grace period",
    responses=problems(404, 422, 503, _404=NO_ENDPOINT),
)
async def rotate_secret(
    endpoint_id: ResourceId, rt: RuntimeDep, caller: CallerDep, body: RotateIn | None = None
) -> Rotated:
    row = await _visible(rt, caller, endpoint_id)
    now = rt.clock.now()
    grace = body.grace_period_s if body and body.grace_period_s is not None else None
    expires = now + timedelta(seconds=rt.settings.secret_grace_s if grace is None else grace)
    secret = signing.new_secret()
    async with rt.sessions() as session, session.begin():
        await session.execute(
            k.insert().values(
                endpoint_id=endpoint_id, secret=row.secret, retired_at=now, expires_at=expires
            )
        )
        keep = select(k.c.secret_id).where(k.c.endpoint_id == endpoint_id, k.c.expires_at > now)
        newest = keep.order_by(k.c.retired_at.desc(), k.c.secret_id.desc()).limit(MAX_OLD_SECRETS)
        await session.execute(
            delete(k).where(k.c.endpoint_id == endpoint_id, k.c.secret_id.not_in(newest))
        )
        sealed = rt.secret_box.seal(secret)
        await session.execute(update(e).where(e.c.endpoint_id == endpoint_id).values(secret=sealed))
    return Rotated(endpoint_id=endpoint_id, secret=secret, previous_secret_expires_at=expires)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    summary="Send a test message to this endpoint now",
    description="Queues one signed message of type `endpoint.test` for this endpoint alone, "
    "whatever event types it subscribes to, and answers with its delivery; its attempts (status, "
    "response excerpt) show in the delivery log like any other's, and it can be retried.",
    responses=problems(
        404, 409, 422, 503, _404=NO_ENDPOINT, _409="The endpoint is disabled; enable it first"
    ),
)
async def send_test(endpoint_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> DeliveryOut:
    row = await _visible(rt, caller, endpoint_id)
    if not row.enabled:
        raise HTTPException(409, f"endpoint {endpoint_id} is disabled; enable it first")
    now = rt.clock.now()
    message = test_message(
        str(uuid.uuid4()), endpoint_id=endpoint_id, party_id=row.party_id, now=now
    )
    channel = Channel("webhook", endpoint_id, row.mode, row.event_types)
    values = delivery_row(channel, row.party_id, message, now=now, escalate_at=None)
    async with rt.sessions() as session, session.begin():
        await session.execute(tables.deliveries.insert().values(**values))
    rt.wake_dispatcher()
    return await get_delivery(str(values["delivery_id"]), rt, caller)
