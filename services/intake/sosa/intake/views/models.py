"""HTTP shapes of intake's read side: one request with its timeline, pages of requests, commands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from sosa.contracts.local_times import local_time, supplier_zone
from sosa.contracts.outcomes import DecisionRecord, Finding
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState, RoutePath

EventKind = Literal["transitioned", "refused", "reminded", "escalated"]


class TimelineEntry(BaseModel):
    """One outcome event of a request. The fields after `decision` belong to one kind each."""

    event_id: str
    sequence: int = Field(description="Position of the event in the request's own history.")
    kind: EventKind
    type: str = Field(description="CloudEvents type of the outcome event.")
    state: RequestState = Field(description="The request's state after this event.")
    previous_state: RequestState | None = Field(default=None, description="transitioned")
    occurred_at: AwareDatetime
    caused_by: str | None = Field(default=None, description="Id of the command behind it.")
    decision: DecisionRecord
    command_type: str | None = Field(default=None, description="refused: the command refused.")
    actor: str | None = Field(default=None, description="refused: who sent that command.")
    due_at: AwareDatetime | None = Field(default=None, description="reminded: the answer's due.")
    escalated_to: str | None = Field(default=None, description="escalated: who must act now.")
    suggestion: str | None = Field(default=None, description="escalated: what to do.")
    facts: dict[str, Any] | None = Field(
        default=None, description="escalated: facts for a BIS-999 request (15 CFR 700.50-53)."
    )


LOCAL_DEADLINE = (
    "The deadline as the supplier reads it: in its own time zone, with the offset "
    "(e.g. `2026-12-28T23:59:59-05:00` for the UTC `2026-12-29T04:59:59Z`)."
)


def with_local_deadline(data: Any) -> Any:
    """A row (mapping) given `supplier_timezone` (from its `details`, else the default) and
    `deadline_local`; anything else as it is."""
    if not isinstance(data, Mapping):
        return data
    found = dict(data)
    named = found.get("supplier_timezone")
    zone = supplier_zone({"supplier": {"timezone": named}} if named else found.get("details"))
    found["supplier_timezone"] = zone
    found["deadline_local"] = local_time(found.get("deadline"), zone)
    return found


class RequestSummary(BaseModel):
    """A request in a list: where it stands, without its details and timeline."""

    request_id: str
    state: RequestState
    path: RoutePath | None
    rating: str | None = Field(description="The rating in force, normalised (DO-A3).")
    rating_level: Literal["DO", "DX"] | None
    requester: str
    supplier: str
    deadline: AwareDatetime | None = Field(
        description="When the supplier's answer is due (UTC: for machines)."
    )
    deadline_local: str | None = Field(
        default=None, description=LOCAL_DEADLINE, examples=["2026-12-28T23:59:59-05:00"]
    )
    supplier_timezone: str = Field(
        default="", description="The supplier's IANA time zone, in which `deadline_local` is."
    )
    required_delivery_date: date | None = Field(description="The earliest required date.")
    received_at: AwareDatetime
    updated_at: AwareDatetime
    links: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _in_the_supplier_s_zone(cls, data: Any) -> Any:
        return with_local_deadline(data)


class RequestView(RequestSummary):
    """A request as intake's read model knows it: current state plus every outcome so far."""

    last_sequence: int = Field(
        description="Sequence of the latest outcome event reflected here; 0 before the first."
    )
    details: PriorityRequestDetails = Field(description="The request as submitted.")
    decision: DecisionRecord | None = Field(description="The decision behind the current state.")
    timeline: list[TimelineEntry]


class RequestPage(BaseModel):
    """One page of a filtered list, oldest received first."""

    items: list[RequestSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null at the end."
    )
    limit: int


class CommandStatus(BaseModel):
    """A command intake accepted, and what the router made of it so far."""

    command_id: str
    request_id: str
    command_type: str
    received_at: AwareDatetime
    status: Literal["pending", "applied", "refused"] = Field(
        description="pending until an outcome event names this command as its cause."
    )
    body: dict[str, Any] = Field(description="The command as it was sent to the router.")
    outcomes: list[TimelineEntry]
    links: dict[str, str]


class WorkOrderEntry(BaseModel):
    """One accepted rated order, at its place in the sequence to work it."""

    position: int = Field(ge=1)
    request_id: str
    path: RoutePath
    rating: str | None
    rating_level: Literal["DO", "DX"] | None
    required_delivery_date: date | None = Field(description="The earliest required date.")
    received_at: AwareDatetime
    rated_as_of: AwareDatetime = Field(
        description="Receipt as 15 CFR 700.14(c)(1) counts it: when the order got its current "
        "rating (its receipt, Commerce's authorization, or a 700.16 change)."
    )
    contract_number: str | None
    links: dict[str, str]


class WorkOrder(BaseModel):
    """A supplier's accepted rated orders in the order 15 CFR 700.14 says to work them."""

    supplier_id: str
    orders: list[WorkOrderEntry]
    findings: list[Finding] = Field(
        description="The scheduling rules that decided the order of this page."
    )
    ruleset_version: str
    next_cursor: str | None = Field(
        default=None,
        description="Pass it back as `cursor` for the next page; null on the last page.",
    )
    limit: int | None = Field(default=None, description="The most orders a page holds.")
