"""Operators' routes: parties and their API keys. And `GET /v1/me`, for any caller.

Every change is audited and published on `sosa.parties.v1` in the transaction that makes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select, update

from sosa.contracts.requests import PartyId
from sosa.infra import api_keys
from sosa.infra.auth import Caller, CallerDep
from sosa.infra.resource_ids import ResourceId
from sosa.intake import audit, tables
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.parties.attributes import FIELDS, AttributesError, checked
from sosa.intake.parties.registry import load_party, party_keys, publish
from sosa.intake.parties.schemas import (
    KeyIn,
    KeyIssued,
    KeyOut,
    Me,
    PartyIn,
    PartyOut,
    PartyPage,
    PartyPatch,
)
from sosa.intake.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["parties"])
_parties, _keys = tables.parties, tables.api_keys
MAX_LIMIT = 200


def _operator(caller: Caller) -> None:
    if not caller.operator:
        raise HTTPException(403, "only operators manage parties and credentials")


def _attributes(rt: Runtime, current: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """The party's attributes after `changes`, checked together (422 naming each field)."""
    was = {f: getattr(current, f) for f in FIELDS} if current is not None else {}
    try:
        return checked(was, changes, is_partner=lambda c: rt.rules.registry.get(c) is not None)
    except AttributesError as exc:
        raise RequestValidationError(exc.errors) from exc


async def _out(rt: Runtime, party_id: str) -> PartyOut:
    async with rt.sessions() as session:
        party = await load_party(session, party_id)
        if party is None:
            raise HTTPException(404, f"no party {party_id}")
        keys = await party_keys(session, party_id)
    return PartyOut.model_validate(
        {
            **party._mapping,
            "api_keys": [KeyOut.model_validate(k, from_attributes=True) for k in keys],
        }
    )


@router.get(
    "/me", response_model=Me, summary="Who the credential shown belongs to", responses=problems(503)
)
async def me(caller: CallerDep) -> Me:
    return Me(party_id=caller.party_id, roles=sorted(caller.roles), via=caller.via)


@router.post(
    "/parties",
    status_code=status.HTTP_201_CREATED,
    response_model=PartyOut,
    summary="Create a party with its roles (operators)",
    responses=problems(409, 422, 503),
)
async def create_party(body: PartyIn, rt: RuntimeDep, caller: CallerDep) -> PartyOut:
    _operator(caller)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        if await load_party(session, body.party_id) is not None:
            raise HTTPException(409, f"party {body.party_id} exists")
        attributes = _attributes(rt, None, body.model_dump(include=set(FIELDS), mode="json"))
        await session.execute(
            _parties.insert().values(
                party_id=body.party_id,
                name=body.name,
                roles=[str(r) for r in body.roles],
                disabled=False,
                created_at=now,
                updated_at=now,
                **attributes,
            )
        )
        set_ = {f: v for f, v in attributes.items() if v is not None}
        await audit.append(
            session,
            at=now,
            actor=caller.party_id,
            kind="party.created",
            details={
                "party_id": body.party_id,
                "roles": sorted(str(r) for r in body.roles),
                **set_,
            },
        )
        await publish(session, body.party_id, now=now, source=rt.settings.intake_source)
    rt.parties_changed()
    return await _out(rt, body.party_id)


@router.get(
    "/parties",
    response_model=PartyPage,
    summary="Every party, by id, a page at a time (operators)",
    responses=problems(422, 503),
)
async def list_parties(
    rt: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    after: Annotated[PartyId | None, Query(description="From `next_after`.")] = None,
) -> PartyPage:
    _operator(caller)
    query = select(_parties.c.party_id).order_by(_parties.c.party_id).limit(limit + 1)
    if after is not None:
        query = query.where(_parties.c.party_id > after)
    async with rt.sessions() as session:
        ids = list((await session.scalars(query)).all())
    page = ids[:limit]
    return PartyPage(
        items=[await _out(rt, party_id) for party_id in page],
        next_after=page[-1] if len(ids) > limit else None,
    )


@router.get(
    "/parties/{party_id}",
    response_model=PartyOut,
    summary="One party and its keys (ids only) (operators)",
    responses=problems(404, 422, 503, _404="No such party"),
)
async def get_party(party_id: PartyId, rt: RuntimeDep, caller: CallerDep) -> PartyOut:
    _operator(caller)
    return await _out(rt, party_id)


@router.patch(
    "/parties/{party_id}",
    response_model=PartyOut,
    summary="Rename, change roles, disable or re-enable a party (operators)",
    responses=problems(404, 422, 503, _404="No such party"),
)
async def patch_party(
    party_id: PartyId, body: PartyPatch, rt: RuntimeDep, caller: CallerDep
) -> PartyOut:
    _operator(caller)
    # null means "leave as it is", like an absent field
    values: dict[str, Any] = body.model_dump(exclude_none=True, mode="json")
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        current = await load_party(session, party_id)
        if current is None:
            raise HTTPException(404, f"no party {party_id}")
        if any(f in values for f in FIELDS):
            # the attributes are checked together; the audit row names the ones that changed
            after = _attributes(rt, current, values)
            values.update(
                {f: v for f, v in after.items() if v is not None and v != getattr(current, f)}
            )
            values = {
                k: v for k, v in values.items() if k not in FIELDS or v != getattr(current, k)
            }
        if values:
            await session.execute(
                update(_parties)
                .where(_parties.c.party_id == party_id)
                .values(**values, updated_at=now)
            )
            await audit.append(
                session,
                at=now,
                actor=caller.party_id,
                kind="party.changed",
                details={"party_id": party_id, **values},
            )
            await publish(session, party_id, now=now, source=rt.settings.intake_source)
    rt.parties_changed()
    return await _out(rt, party_id)


@router.post(
    "/parties/{party_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=KeyIssued,
    summary="Issue an API key for a party; the key is shown in this answer only (operators)",
    responses=problems(404, 422, 503, _404="No such party"),
)
async def issue_key(
    party_id: PartyId, rt: RuntimeDep, caller: CallerDep, body: KeyIn | None = None
) -> KeyIssued:
    _operator(caller)
    key_id, key = api_keys.new_key()
    now = rt.clock.now()
    label = body.label if body else None
    async with rt.sessions() as session, session.begin():
        if await load_party(session, party_id) is None:
            raise HTTPException(404, f"no party {party_id}")
        await session.execute(
            _keys.insert().values(
                key_id=key_id,
                party_id=party_id,
                key_hash=api_keys.hash_key(key, rt.settings.auth_pepper.get_secret_value()),
                label=label,
                created_at=now,
                revoked_at=None,
            )
        )
        await audit.append(
            session,
            at=now,
            actor=caller.party_id,
            kind="api_key.issued",
            details={"party_id": party_id, "key_id": key_id},
        )
        await publish(session, party_id, now=now, source=rt.settings.intake_source)
    rt.parties_changed()
    return KeyIssued(
        key_id=key_id, label=label, created_at=now, revoked_at=None, party_id=party_id, api_key=key
    )


@router.delete(
    "/parties/{party_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke an API key at once, on intake and (within moments) the notifier (operators)",
    responses=problems(404, 422, 503, _404="No such key of this party"),
)
async def revoke_key(
    party_id: PartyId, key_id: ResourceId, rt: RuntimeDep, caller: CallerDep
) -> Response:
    _operator(caller)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        changed = await session.execute(
            update(_keys)
            .where(_keys.c.party_id == party_id, _keys.c.key_id == key_id)
            .where(_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if not getattr(changed, "rowcount", 0):
            exists = await session.execute(
                select(_keys.c.key_id).where(_keys.c.party_id == party_id, _keys.c.key_id == key_id)
            )
            if exists.first() is None:
                raise HTTPException(404, f"no key {key_id} of party {party_id}")
            return Response(status_code=204)
        await audit.append(
            session,
            at=now,
            actor=caller.party_id,
            kind="api_key.revoked",
            details={"party_id": party_id, "key_id": key_id},
        )
        await publish(session, party_id, now=now, source=rt.settings.intake_source)
    rt.parties_changed()
    return Response(status_code=204)
