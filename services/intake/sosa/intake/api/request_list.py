"""The request list route: filters from query parameters, one page per call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from sosa.contracts.instants import Instant
from sosa.contracts.requests import PartyId
from sosa.contracts.states import RequestState, RoutePath
from sosa.infra.auth import CallerDep
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems
from sosa.intake.views import access
from sosa.intake.views.cursor import InvalidCursorError
from sosa.intake.views.list_filters import ListFilters, rating_filter
from sosa.intake.views.listing import list_requests
from sosa.intake.views.models import RequestPage

router = APIRouter(prefix="/v1/priority-requests", tags=["priority requests"])
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _valid_rating(text: str | None) -> str | None:
    if text is not None:
        rating_filter(text)  # raises ValueError: a 422 naming `rating`
    return text


def list_filters(
    state: Annotated[
        list[RequestState] | None, Query(description="Any of these states (repeatable).")
    ] = None,
    path: Annotated[list[RoutePath] | None, Query(description="Any of these paths.")] = None,
    supplier: Annotated[PartyId | None, Query(description="Supplier party id.")] = None,
    requester: Annotated[PartyId | None, Query(description="Requester party id.")] = None,
    rating: Annotated[
        str | None,
        Query(description="A rating (DO-A3) or a level (DO, DX).", max_length=16),
        AfterValidator(_valid_rating),
    ] = None,
    due_before: Annotated[
        Instant | None,
        Query(
            description="Only requests whose answer is due before this instant (ISO 8601 with "
            "its UTC offset)."
        ),
    ] = None,
) -> ListFilters:
    exact, level = rating_filter(rating) if rating is not None else (None, None)
    return ListFilters(
        states=tuple(state or ()),
        paths=tuple(path or ()),
        supplier=supplier,
        requester=requester,
        rating=exact,
        rating_level=level,
        due_before=due_before,
    )


@router.get(
    "",
    response_model=RequestPage,
    summary="List requests, filtered, a page at a time",
    description="Only the requests the caller may see (operators: all). Oldest received "
    "first. Pass `next_cursor` back as `cursor`, with the same "
    "filters, for the next page; a cursor from other filters is refused (422).",
    responses=problems(422, 503),
)
async def list_priority_requests(
    filters: Annotated[ListFilters, Depends(list_filters)],
    rt: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`.")] = None,
) -> RequestPage:
    try:
        async with rt.sessions() as session:
            return await list_requests(
                session, filters, limit=limit, cursor=cursor, scope=access.visible(caller)
            )
    except InvalidCursorError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": str(exc), "type": "value_error"}]
        ) from exc
