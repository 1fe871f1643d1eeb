"""`GET /v1/me`: who the credential shown belongs to (lets a client check that a key issued
through intake has reached the notifier)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sosa.contracts.parties import Role
from sosa.infra.auth import CallerDep
from sosa.infra.problem_docs import problems

router = APIRouter(tags=["caller"])


class Me(BaseModel):
    party_id: str
    roles: list[Role]
    via: str


@router.get(
    "/me",
    response_model=Me,
    summary="The calling party and its roles",
    # an API key is checked against the notifier's copy of the parties' keys, in its database
    responses=problems(503),
)
async def me(caller: CallerDep) -> Me:
    return Me(party_id=caller.party_id, roles=sorted(caller.roles), via=caller.via)
