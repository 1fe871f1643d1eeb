"""Routes of a supplier's own view: its work order of accepted rated orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from sosa.contracts.parties import Role
from sosa.contracts.requests import PartyId
from sosa.infra.auth import CallerDep
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.views.cursor import InvalidCursorError
from sosa.intake.views.models import WorkOrder
from sosa.intake.views.work_order import DEFAULT_LIMIT, MAX_LIMIT, load_work_order

router = APIRouter(prefix="/v1/suppliers", tags=["suppliers"])


@router.get(
    "/{supplier_id}/work-order",
    response_model=WorkOrder,
    summary="A supplier's accepted rated orders in 15 CFR 700.14 order",
    description="Accepted orders on a DPAS path: DX before DO before unrated; within a level by "
    "required delivery date (undated last); on the same date by earliest receipt (when the order "
    "got its rating). A page at a time: the first `limit` orders, then pass `next_cursor` back "
    "as `cursor` for the next; `position` counts from the first order of the whole work order. "
    "The findings cite the rules that decided the page's order. A supplier with no such orders "
    "gets an empty list. Only the supplier itself and operators see it; anyone else gets 404.",
    responses=problems(404, 422, 503, _404="No such supplier visible to the caller"),
)
async def supplier_work_order(
    supplier_id: PartyId,
    rt: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"At most this many orders a page (1 to {MAX_LIMIT:,}; "
            f"{DEFAULT_LIMIT} by default).",
            examples=[DEFAULT_LIMIT],
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="From `next_cursor` of the page before, for the same supplier.",
        ),
    ] = None,
) -> WorkOrder:
    if not (caller.operator or (caller.has(Role.SUPPLIER) and caller.party_id == supplier_id)):
        raise HTTPException(404, f"no supplier {supplier_id}")
    try:
        async with rt.sessions() as session:
            return await load_work_order(session, supplier_id, limit=limit, cursor=cursor)
    except InvalidCursorError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": str(exc), "type": "value_error"}]
        ) from exc
