"""Routes of priority requests themselves: submit, dry-run evaluate, read one back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from sosa.contracts.instants import Instant
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra.auth import CallerDep
from sosa.infra.resource_ids import ResourceId
from sosa.intake import tables
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.api.submit_route import SubmitRoute, accept_submission
from sosa.intake.commands.answers import Evaluation, SubmissionAccepted
from sosa.intake.commands.evaluation import UndecidableError, evaluate
from sosa.intake.commands.idempotency import IdempotencyKeyDep
from sosa.intake.parties.facts import registry_of, resolve_submission, seen_by
from sosa.intake.views.models import RequestView
from sosa.intake.views.queries import visible_view

router = APIRouter(prefix="/v1/priority-requests", tags=["priority requests"])


async def submit(
    details: PriorityRequestDetails,
    request: Request,
    caller: CallerDep,
    key: IdempotencyKeyDep,
) -> Response:
    # FastAPI calls this for a submission that is not the usual one (its handler then answers
    # what is wrong, as it always did); the usual one is taken straight through by
    # `SubmitRoute` to the same `accept_submission` (#25, docs/performance.md).
    return await accept_submission(request.app.state.runtime, details, caller, key)


router.add_api_route(
    "",
    submit,
    methods=["POST"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionAccepted,
    summary="Submit a priority-support request",
    description="Stores the request and queues it for the router, which decides its path and "
    "answers with an outcome event. `Location` is the request's view.",
    responses=problems(403, 422, 503),
    route_class_override=SubmitRoute,
)


@router.post(
    "/evaluate",
    response_model=Evaluation,
    summary="Dry run: the decision a request would get now, or at a stated time",
    description="Applies the routing rules to the request as if it were received now (or at "
    "`as_of`) and returns the decision (state, path, findings with citations, deadline, rule-set "
    "version), with the parties' facts checked against and filled from the party registry as "
    "at submission. Nothing is stored and nothing is published.",
    responses=problems(
        403, 422, 503, _503="The database (where API keys are checked) is unavailable"
    ),
)
async def dry_run(
    details: PriorityRequestDetails,
    rt: RuntimeDep,
    caller: CallerDep,
    as_of: Annotated[
        Instant | None,
        Query(
            description="Decide as if the request were received at this time (ISO 8601 with "
            "its UTC offset, e.g. `2026-11-25T16:00:00-05:00`, in the years 1900-2200); "
            "default: now. Deadlines count working days from it, across the calendars' holidays.",
        ),
    ] = None,
) -> Evaluation:
    async with rt.sessions() as session:
        rows = await session.execute(select(tables.postures.c.scope, tables.postures.c.posture))
        postures = {row.scope: row.posture for row in rows}
        registry = await registry_of(
            session, (details.requester.party_id, details.supplier.party_id)
        )
    filled, registered = resolve_submission(details, registry, sees=seen_by(caller), dry_run=True)
    try:
        return evaluate(
            filled,
            registered=registered,
            rules=rt.rules,
            now=as_of or rt.clock.now(),
            postures=postures,
            as_of_given=as_of is not None,
        )
    except UndecidableError as exc:
        raise RequestValidationError(exc.errors) from exc


@router.get(
    "/{request_id}",
    response_model=RequestView,
    summary="A request's current state and its whole timeline",
    description="The view intake builds from the outcome events: state, path, rating, "
    "deadline, the decision behind the state, and every outcome event (transitions, refused "
    "commands, reminders, escalations) in order.",
    responses=problems(404, 422, 503),
)
async def get_request(request_id: ResourceId, rt: RuntimeDep, caller: CallerDep) -> RequestView:
    async with rt.sessions() as session:
        view = await visible_view(session, caller, request_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no priority request {request_id}")
    return view
