"""Routes of the commands that follow a submission, and of their status.

Each stores its command and outbox row (with other requests', `sosa.infra.group_commit`) and
answers 202 once they are committed; the router decides
whether the command fits the request (state, party, reason code) and records the outcome,
a transition or a refusal, in the request's timeline.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from sosa.contracts import commands
from sosa.infra.auth import Caller, CallerDep
from sosa.infra.resource_ids import ResourceId
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.commands import idempotency
from sosa.intake.commands.answers import CommandAccepted
from sosa.intake.commands.follow_ups import LifecycleDetails, command_write
from sosa.intake.commands.idempotency import IdempotencyKeyDep, Key
from sosa.intake.parties import facts as party_facts
from sosa.intake.runtime import Runtime
from sosa.intake.views import access
from sosa.intake.views.models import CommandStatus
from sosa.intake.views.queries import load_command

router = APIRouter(prefix="/v1/priority-requests/{request_id}", tags=["commands"])
ACCEPTED: dict[str, Any] = {
    "status_code": status.HTTP_202_ACCEPTED,
    "response_model": CommandAccepted,
    "responses": problems(403, 404, 422, 503),
}


async def _accept(
    rt: Runtime,
    request_id: str,
    details: LifecycleDetails,
    response: Response,
    caller: Caller,
    key: Key | None,
) -> CommandAccepted:
    async with rt.sessions() as session:
        try:
            await access.check_command(session, caller, request_id, details)
            acting = party_facts.acting_party(details)
            if acting is not None:
                party_facts.check_acting(details, await party_facts.registry_of(session, [acting]))
        except HTTPException:
            # a retry whose request has moved on (another authority awaited now) still gets
            # the first answer to its key
            await idempotency.replay_known(session, key, party_id=caller.party_id, body=details)
            raise
    write = command_write(
        request_id,
        details,
        caller=caller,
        key=key,
        now=rt.clock.now(),
        source=rt.settings.intake_source,
    )
    accepted = await rt.accept(write, key=key, party_id=caller.party_id, body=details)
    response.headers["Location"] = accepted.links["self"]
    return accepted


@router.post(
    "/responses",
    summary="A supplier answers: accept, reject (15 CFR 700.13), partial or decline",
    **ACCEPTED,
)
async def respond(
    request_id: ResourceId,
    body: commands.SupplierResponseDetails,
    rt: RuntimeDep,
    response: Response,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> CommandAccepted:
    return await _accept(rt, request_id, body, response, caller, key)


@router.post(
    "/amendments",
    summary="Amend a request (15 CFR 700.16): schedule, quantity, rating, ...",
    **ACCEPTED,
)
async def amend(
    request_id: ResourceId,
    body: commands.AmendmentDetails,
    rt: RuntimeDep,
    response: Response,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> CommandAccepted:
    return await _accept(rt, request_id, body, response, caller, key)


@router.post("/cancellation", summary="Cancel a request", **ACCEPTED)
async def cancel(
    request_id: ResourceId,
    body: commands.CancellationDetails,
    rt: RuntimeDep,
    response: Response,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> CommandAccepted:
    return await _accept(rt, request_id, body, response, caller, key)


@router.post(
    "/determination",
    summary="DoD's program determination on a partner's request (grant or deny)",
    **ACCEPTED,
)
async def determine(
    request_id: ResourceId,
    body: commands.DeterminationDetails,
    rt: RuntimeDep,
    response: Response,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> CommandAccepted:
    return await _accept(rt, request_id, body, response, caller, key)


@router.post(
    "/authorization",
    summary="Commerce's rating authorization on a partner's request (grant or deny)",
    **ACCEPTED,
)
async def authorize(
    request_id: ResourceId,
    body: commands.AuthorizationDetails,
    rt: RuntimeDep,
    response: Response,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> CommandAccepted:
    return await _accept(rt, request_id, body, response, caller, key)


@router.get(
    "/commands/{command_id}",
    response_model=CommandStatus,
    summary="A command's status: pending, applied or refused, with its outcomes",
    responses=problems(404, 422, 503, _404="No such command for this request"),
)
async def command_status(
    request_id: ResourceId, command_id: ResourceId, rt: RuntimeDep, caller: CallerDep
) -> CommandStatus:
    async with rt.sessions() as session:
        found = (
            await load_command(session, request_id, command_id)
            if await access.sees(session, caller, request_id)
            else None
        )
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no command {command_id} for priority request {request_id}"
        )
    return found
