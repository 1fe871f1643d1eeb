"""Who may see and act on a request (intake's edge authorization).

A party sees a request when it has a relation to it that one of its roles allows: the requester
that submitted it, the supplier it is addressed to, the partner liaison it relays through, an
authority whose decision it awaits or awaited. Operators see every request. A request a caller
may not see is answered 404, as if it did not exist; one it sees but may not act on this way is
answered 403. The router still checks the acting party (COMMAND_WRONG_PARTY) behind this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from fastapi import HTTPException
from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands
from sosa.contracts.outcomes import Parties
from sosa.contracts.parties import Role
from sosa.infra.auth import Caller
from sosa.infra.db import insert_ignoring_duplicates
from sosa.intake import tables

_access = tables.request_access
_views = tables.request_views

REQUESTER: Final = "requester"
SUPPLIER: Final = "supplier"
LIAISON: Final = "liaison"
AUTHORITY: Final = "authority"

RELATIONS_OF: Final[dict[Role, str]] = {
    Role.REQUESTER: REQUESTER,
    Role.SUPPLIER: SUPPLIER,
    Role.PARTNER_LIAISON: LIAISON,
    Role.DETERMINATION_AUTHORITY: AUTHORITY,
    Role.RATING_AUTHORITY: AUTHORITY,
}
"""The relation to a request through which each role sees it."""


def relations(caller: Caller) -> list[str]:
    return sorted({RELATIONS_OF[role] for role in caller.roles if role in RELATIONS_OF})


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
    session: AsyncSession, caller: Caller, request_id: str, relation: str
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


async def grant(session: AsyncSession, request_id: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Record (party, relation) pairs for a request; pairs already there stay as they are."""
    rows = [{"request_id": request_id, "party_id": p, "relation": r} for p, r in set(pairs)]
    await insert_ignoring_duplicates(session, _access, rows)


def parties_of(parties: Parties) -> list[tuple[str, str]]:
    """The relations an outcome event's `parties` name."""
    pairs = [(parties.requester, REQUESTER), (parties.supplier, SUPPLIER)]
    if parties.liaison:
        pairs.append((parties.liaison, LIAISON))
    if parties.pending_authority:
        pairs.append((parties.pending_authority, AUTHORITY))
    return pairs


def _forbid(detail: str) -> HTTPException:
    return HTTPException(403, detail)


def _acting(caller: Caller, named: str, field: str) -> None:
    if named != caller.party_id:
        raise _forbid(f"{field} must be the calling party ({caller.party_id})")


async def check_command(
    session: AsyncSession, caller: Caller, request_id: str, details: commands.Command | object
) -> None:
    """404 when the caller may not see the request; 403 when it may not issue this command."""
    if not await sees(session, caller, request_id):
        raise not_found(request_id)
    if isinstance(details, commands.SupplierResponseDetails):
        if not (
            caller.has(Role.SUPPLIER) and await has_relation(session, caller, request_id, SUPPLIER)
        ):
            raise _forbid("only the supplier the request is addressed to answers it")
        _acting(caller, details.supplier_party_id, "supplier_party_id")
    elif isinstance(details, commands.AmendmentDetails | commands.CancellationDetails):
        _acting(caller, details.issued_by, "issued_by")
        if details.by_commerce:
            if not (
                caller.has(Role.RATING_AUTHORITY)
                and await has_relation(session, caller, request_id, AUTHORITY)
            ):
                raise _forbid("only Commerce, having decided this request, acts as Commerce")
        elif not (
            caller.has(Role.REQUESTER)
            and await has_relation(session, caller, request_id, REQUESTER)
        ):
            raise _forbid("only the requester amends or cancels its request")
    elif isinstance(details, commands.DeterminationDetails | commands.AuthorizationDetails):
        role = (
            Role.DETERMINATION_AUTHORITY
            if isinstance(details, commands.DeterminationDetails)
            else Role.RATING_AUTHORITY
        )
        _acting(caller, details.authority_party_id, "authority_party_id")
        pending = (
            await session.execute(
                select(_views.c.pending_authority).where(_views.c.request_id == request_id)
            )
        ).scalar_one_or_none()
        if not caller.has(role) or pending != caller.party_id:
            raise _forbid("the request does not await this party's decision")
