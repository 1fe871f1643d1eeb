"""The answers a supplier may give to one request: what the workspace's answer form offers.

`sosa.rules.answer_options` reads them from the rules the router applies (15 CFR 700.13 on the
DPAS paths, the Code of Conduct on the voluntary path); the router still decides the answer
itself (state, party, dates), so this is guidance, never a promise."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from sosa.contracts.states import RoutePath
from sosa.infra.auth import CallerDep
from sosa.infra.resource_ids import ResourceId
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.views.queries import visible_view
from sosa.rules import Level, Path, RequesterKind
from sosa.rules.answer_options import answer_options

router = APIRouter(prefix="/v1/priority-requests", tags=["priority requests"])


class ReasonCodeOut(BaseModel):
    code: str = Field(description="The value of `reason` in a rejection.")
    paragraph: str = Field(description="Where 15 CFR 700.13 lists it, e.g. 15 CFR 700.13(b)(1).")
    says: str = Field(description="What the reason means.")
    needs_earliest_date: bool = Field(
        description="A rejection for this reason gives `earliest_delivery_date` (a date after "
        "the required one): 15 CFR 700.13(b)(1)-(b)(4)."
    )


class AnswerOptionsOut(BaseModel):
    request_id: str
    path: RoutePath | None = Field(description="The request's path (null: not decided yet).")
    kinds: list[str] = Field(
        description="The answer kinds the path takes: `accept` and `reject` on a DPAS path; "
        "`accept`, `partial` and `decline` on the voluntary path; none otherwise."
    )
    reason_codes: list[ReasonCodeOut] = Field(
        description="The 15 CFR 700.13 reason codes valid for this request: (b)(2) only for DO "
        "orders, (b)(3) only for DX orders, (c)(4) never when the customer is the US "
        "Government; none on the voluntary path (decline with free text instead)."
    )


@router.get(
    "/{request_id}/answer-options",
    response_model=AnswerOptionsOut,
    summary="The answers and 15 CFR 700.13 reason codes valid for this request",
    description="What a supplier's answer form offers for this request, from the same rules "
    "the router applies to the answer. The request's state and the dates are still checked "
    "when the answer arrives.",
    responses=problems(404, 422, 503),
)
async def get_answer_options(
    request_id: ResourceId, rt: RuntimeDep, caller: CallerDep
) -> AnswerOptionsOut:
    async with rt.sessions() as session:
        view = await visible_view(session, caller, request_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no priority request {request_id}")
    kind = view.details.requester.kind
    options = answer_options(
        Path(view.path) if view.path else None,
        level=Level(view.rating_level) if view.rating_level else None,
        requester_kind=RequesterKind(kind) if kind else None,
    )
    return AnswerOptionsOut(
        request_id=request_id,
        path=view.path,
        kinds=list(options.kinds),
        reason_codes=[
            ReasonCodeOut(
                code=o.code,
                paragraph=o.paragraph,
                says=o.says,
                needs_earliest_date=o.needs_earliest_date,
            )
            for o in options.reasons
        ],
    )
