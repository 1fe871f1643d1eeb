"""Who may see and act on a request (intake's edge authorization).

A party sees a request when it has a relation to it that one of its roles allows: the requester
that submitted it, the supplier once the request is routed to it, the partner liaison it relays
through, an authority whose decision it awaits or awaited. Who is involved, from when, and who
acts in each command is decided in one place for every service, `sosa.contracts.involvement`;
this module applies it to intake's tables. Operators see every request. A request a caller may
not see is answered 404, as if it did not exist; one it sees but may not act on this way is
answered 403. The router still checks the acting party (COMMAND_WRONG_PARTY) behind this.
"""

from __future__ import annotations

from typing import Final

from fastapi import HTTPException
from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts.involvement import RELATION_OF_ROLE, Relation, acting
from sosa.contracts.parties import Role
from sosa.infra.auth import Caller
from sosa.intake import tables

_access = tables.request_access
_views = tables.request_views

_REFUSED: Final[dict[Role, str]] = {
    Role.SUPPLIER: "only the supplier the request is addressed to answers it",
    Role.REQUESTER: "only the requester amends or cancels its request",
    Role.RATING_AUTHORITY: "only Commerce, having decided this request, acts as Commerce",
}
"""Why a caller that is not the request's acting party of its kind is refused (403)."""
_NOT_AWAITED: Final = "the request does not await this party's decision"


def relations(caller: Caller) -> list[str]:
    """The relations through which the caller's roles see requests."""
    return sorted({RELATION_OF_ROLE[role] for role in caller.roles if role in RELATION_OF_ROLE})


def visible(caller: Caller) -> ColumnElement[bool]:
    """SQL condition on `request_views`: the caller may see the row."""
    if caller.operator:
        return true()
    return exists().where(
        _access.c.request_id == _views.c.request_id,
        _access.c.party_id == caller.party_id,
        _access.c.relation.in_(relations(caller)),
    )


async def sees(session: AsyncSession, caller: Caller, request_id: str) -> bool:
    found = await session.execute(
        select(_views.c.request_id).where(_views.c.request_id == request_id, visible(caller))
    )
    return found.first() is not None


async def has_relation(
    session: AsyncSession, caller: Caller, request_id: str, relation: Relation
) -> bool:
    found = await session.execute(
        select(_access.c.request_id).where(
            _access.c.request_id == request_id,
            _access.c.party_id == caller.party_id,
            _access.c.relation == relation,
        )
    )
    return found.first() is not None


def not_found(request_id: str) -> HTTPException:
    return HTTPException(404, f"no priority request {request_id}")


def _forbid(detail: str) -> HTTPException:
    return HTTPException(403, detail)


async def check_command(
    session: AsyncSession, caller: Caller, request_id: str, details: object
) -> None:
    """404 when the caller may not see the request; 403 when it is not the party that may give
    this command (`involvement.acting`): it must be the party the body names as acting, hold
    the role that acts, and either hold the relation to the request that acts or, for an
    authority's decision, be the authority the request awaits."""
    if not await sees(session, caller, request_id):
        raise not_found(request_id)
    found = acting(details)
    if found is None:
        return
    if not caller.has(found.role):
        raise _forbid(_NOT_AWAITED if found.awaited else _REFUSED[found.role])
    if found.awaited:
        pending = (
            await session.execute(
                select(_views.c.pending_authority).where(_views.c.request_id == request_id)
            )
        ).scalar_one_or_none()
        if pending != caller.party_id:
            raise _forbid(_NOT_AWAITED)
    elif not await has_relation(session, caller, request_id, found.relation):
        raise _forbid(_REFUSED[found.role])
    if found.party_id != caller.party_id:
        raise _forbid(f"{found.field} must be the calling party ({caller.party_id})")
