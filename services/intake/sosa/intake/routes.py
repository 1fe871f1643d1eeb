"""Intake's HTTP routes: submit a priority-support request, read one back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from sosa.contracts.requests import PriorityRequestDetails
from sosa.intake.read_model import load_view
from sosa.intake.runtime import Runtime
from sosa.intake.schemas import RequestView, SubmissionAccepted
from sosa.intake.submissions import accept_submission

router = APIRouter(prefix="/v1", tags=["priority requests"])


def runtime(request: Request) -> Runtime:
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]


@router.post(
    "/priority-requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionAccepted,
    summary="Submit a priority-support request",
    responses={
        422: {"description": "Invalid request (problem+json naming each field)"},
        503: {"description": "The database is unavailable; nothing was stored"},
    },
)
async def submit(
    details: PriorityRequestDetails, rt: RuntimeDep, response: Response
) -> SubmissionAccepted:
    async with rt.sessions() as session, session.begin():
        accepted = await accept_submission(
            session, details, now=rt.clock.now(), source=rt.settings.intake_source
        )
    rt.relay.wake()
    response.headers["Location"] = accepted.links["self"]
    return accepted


@router.get(
    "/priority-requests/{request_id}",
    response_model=RequestView,
    summary="A request's current state and timeline",
    responses={404: {"description": "No such request"}},
)
async def get_request(request_id: str, rt: RuntimeDep) -> RequestView:
    async with rt.sessions() as session:
        view = await load_view(session, request_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no priority request {request_id}")
    return view
