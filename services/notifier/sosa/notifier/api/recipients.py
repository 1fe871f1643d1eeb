"""E-mail recipients of a party: subscribe, list, change, enable/disable, delete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select, update

from sosa.contracts.requests import PartyId
from sosa.infra.problem_docs import problems
from sosa.infra.resource_ids import ResourceId
from sosa.notifier import event_types, tables
from sosa.notifier.api.caller import Caller, CallerDep, RuntimeDep
from sosa.notifier.api.subscription_schemas import RecipientIn, RecipientOut, RecipientPatch
from sosa.notifier.runtime import Runtime

router = APIRouter(prefix="/email-recipients", tags=["e-mail recipients"])
r = tables.email_recipients
NO_RECIPIENT = (
    "No such e-mail recipient of the calling party (operators: of any party), or it was deleted"
)


async def _visible(rt: Runtime, caller: Caller, recipient_id: str) -> Any:
    async with rt.sessions() as session:
        row = (
            await session.execute(
                select(r).where(r.c.recipient_id == recipient_id, r.c.deleted_at.is_(None))
            )
        ).one_or_none()
    if row is None or not caller.sees(row.party_id):
        raise HTTPException(404, f"no e-mail recipient {recipient_id}")
    return row


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipientOut,
    summary="Subscribe an e-mail address for a party",
    responses=problems(
        403, 422, 503, _403="`party_id` names another party, and the caller is not an operator"
    ),
)
async def create_recipient(body: RecipientIn, rt: RuntimeDep, caller: CallerDep) -> RecipientOut:
    values = {
        "recipient_id": str(uuid.uuid4()),
        "party_id": caller.acting_for(body.party_id),
        "address": body.address,
        "event_types": event_types.as_stored(body.event_types),
        "description": body.description,
        "mode": body.mode,
        "enabled": True,
        "created_at": rt.clock.now(),
    }
    async with rt.sessions() as session, session.begin():
        await session.execute(r.insert().values(**values))
    return RecipientOut.model_validate(values)


@router.get(
    "",
    response_model=list[RecipientOut],
    summary="The calling party's recipients",
    responses=problems(422, 503),
)
async def list_recipients(
    rt: RuntimeDep,
    caller: CallerDep,
    party_id: Annotated[PartyId | None, Query()] = None,
) -> list[RecipientOut]:
    query = select(r).where(r.c.deleted_at.is_(None)).order_by(r.c.created_at)
    wanted = party_id if caller.operator else caller.party_id
    if wanted:
        query = query.where(r.c.party_id == wanted)
    async with rt.sessions() as session:
        rows = (await session.execute(query)).all()
    return [RecipientOut.model_validate(row, from_attributes=True) for row in rows]


@router.patch(
    "/{recipient_id}",
    response_model=RecipientOut,
    summary="Change or (re-)enable",
    responses=problems(404, 422, 503, _404=NO_RECIPIENT),
)
async def patch_recipient(
    recipient_id: ResourceId, body: RecipientPatch, rt: RuntimeDep, caller: CallerDep
) -> RecipientOut:
    await _visible(rt, caller, recipient_id)
    values = body.model_dump(exclude_unset=True, mode="json")
    for required in ("address", "mode", "enabled"):  # null: leave as it is (the column is set)
        if values.get(required, ...) is None:
            del values[required]
    if values:
        async with rt.sessions() as session, session.begin():
            await session.execute(update(r).where(r.c.recipient_id == recipient_id).values(values))
    rt.wake_dispatcher()
    return RecipientOut.model_validate(
        await _visible(rt, caller, recipient_id), from_attributes=True
    )


@router.delete(
    "/{recipient_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unsubscribe",
    responses=problems(404, 422, 503, _404=NO_RECIPIENT),
)
async def delete_recipient(recipient_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> None:
    await _visible(rt, caller, recipient_id)
    async with rt.sessions() as session, session.begin():
        await session.execute(
            update(r)
            .where(r.c.recipient_id == recipient_id)
            .values(enabled=False, deleted_at=rt.clock.now())
        )
