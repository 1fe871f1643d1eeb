"""`GET /v1/event-types`: the catalog of event types a subscription may name, each with what it
announces (as Svix's event catalog shows them), for a form to offer instead of free text."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sosa.infra.problem_docs import problems
from sosa.notifier.api.caller import CallerDep
from sosa.notifier.event_types import DESCRIPTIONS, EventType

router = APIRouter(tags=["endpoints"])


class EventTypeOut(BaseModel):
    type: EventType
    description: str
    wildcard: bool
    operators_only: bool


@router.get(
    "/event-types",
    response_model=list[EventTypeOut],
    summary="The event types a webhook endpoint or e-mail recipient may subscribe to",
    responses=problems(503),
)
async def event_types(caller: CallerDep) -> list[EventTypeOut]:
    """Every type, in the catalog's order; the operators' notices only to operators, who alone
    receive them."""
    return [
        EventTypeOut(
            type=kind,
            description=DESCRIPTIONS[kind],
            wildcard=kind.value.endswith(".*"),
            operators_only=kind.value.startswith("operator."),
        )
        for kind in EventType
        if caller.operator or not kind.value.startswith("operator.")
    ]
