"""Routes of a supplier's own view: its work order of accepted rated orders."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from sosa.contracts.parties import Role
from sosa.contracts.requests import PartyId
from sosa.infra.auth import CallerDep
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.views.models import WorkOrder
from sosa.intake.views.work_order import load_work_order

router = APIRouter(prefix="/v1/suppliers", tags=["suppliers"])


@router.get(
    "/{supplier_id}/work-order",
    response_model=WorkOrder,
    summary="A supplier's accepted rated orders in 15 CFR 700.14 order",
    description="Accepted orders on a DPAS path: DX before DO before unrated; within a level by "
    "required delivery date; on the same date by earliest receipt. The findings cite the rules "
    "that decided the order. A supplier with no such orders gets an empty list. Only the "
    "supplier itself and operators see it; anyone else gets 404.",
    responses=problems(404, 422, 503, _404="No such supplier visible to the caller"),
)
async def supplier_work_order(supplier_id: PartyId, rt: RuntimeDep, caller: CallerDep) -> WorkOrder:
    if not (caller.operator or (caller.has(Role.SUPPLIER) and caller.party_id == supplier_id)):
        raise HTTPException(404, f"no supplier {supplier_id}")
    async with rt.sessions() as session:
        return await load_work_order(session, supplier_id)
