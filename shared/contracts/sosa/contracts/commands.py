"""Commands on `sosa.requests.v1`: from intake (and the router's own clock) to the router."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from sosa.contracts.instants import CalendarDate, Instant
from sosa.contracts.parties import PartyAttributes
from sosa.contracts.posture import PostureName, Scope
from sosa.contracts.ratings import RatingText
from sosa.contracts.reasons import PARAGRAPHS, ReasonCode, never_a_reason
from sosa.contracts.requests import (
    DeliveryDate,
    LongText,
    PartyId,
    PriorityRequestDetails,
    Strict,
)

SUBMIT: Final = "sosa.command.submit.v1"
RESPOND: Final = "sosa.command.respond.v1"
AMEND: Final = "sosa.command.amend.v1"
CANCEL: Final = "sosa.command.cancel.v1"
DETERMINE: Final = "sosa.command.determine.v1"
AUTHORIZE: Final = "sosa.command.authorize.v1"
TICK: Final = "sosa.command.tick.v1"
SET_POSTURE: Final = "sosa.command.set-posture.v1"

Reference = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


class Command(BaseModel):
    """Fields every command has. `command_id` is also the CloudEvents id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    command_id: str
    request_id: str
    received_at: Instant


class RegisteredFacts(BaseModel):
    """What intake's party registry held about the request's parties at receipt. Intake checks
    the details against it and fills them from it, so the details always agree with it; the
    router decides a path only from a requester whose facts are here (`sosa.rules`:
    PATH_REQUESTER_KIND_UNREGISTERED)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    requester: PartyAttributes
    supplier: PartyAttributes | None = Field(
        default=None,
        description="null: the supplier has no registered attributes; the details' stand.",
    )


class SubmitRequest(Command):
    """A requester submits a new priority-support request."""

    type: Literal["sosa.command.submit.v1"] = SUBMIT
    details: PriorityRequestDetails
    """As posted, with the parties' facts filled from the registry."""
    registered: RegisteredFacts | None = None
    """The registry's facts at receipt; absent on commands that did not come through intake's
    check (older ones): their requester's kind is then self-declared and opens no path."""


class SupplierResponseDetails(Strict):
    """A supplier's answer. DPAS path: accept or reject (15 CFR 700.13). Voluntary path: accept,
    partial or decline under the partner's Code of Conduct."""

    supplier_party_id: PartyId
    kind: Literal["accept", "reject", "partial", "decline"]
    reason: Annotated[ReasonCode | None, BeforeValidator(never_a_reason)] = Field(
        default=None,
        description="For a rejection: its 15 CFR 700.13 reason code, one of the nine listed "
        "(an unknown code is a 422); whether it fits the request is the router's to decide.",
        json_schema_extra={"x-enum-descriptions": {c.value: p for c, p in PARAGRAPHS.items()}},
    )
    earliest_delivery_date: CalendarDate | None = Field(
        default=None, description="For a (b)(1)-(b)(4) rejection: the counter-offer date."
    )
    explanation: LongText | None = None
    accepted_quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)] | None = (
        None
    )
    offered_date: CalendarDate | None = None
    reasonable_effort: LongText | None = Field(
        default=None, description="For a signatory firm that declines: the efforts it made."
    )


class RespondToRequest(Command):
    type: Literal["sosa.command.respond.v1"] = RESPOND
    response: SupplierResponseDetails


class AmendmentDetails(Strict):
    """A change to a request (15 CFR 700.16), issued by the party that placed it or by Commerce."""

    issued_by: PartyId
    kind: Literal[
        "schedule_change",
        "shipping_destination",
        "quantity_reduction",
        "quantity_increase_negligible",
        "minor_design_variation",
        "agreed_change",
        "rating_change",
    ]
    by_commerce: bool = False
    new_rating: RatingText | None = None
    new_delivery_dates: Annotated[list[DeliveryDate], Field(max_length=50)] = Field(
        default_factory=list
    )
    production_started: bool | None = None
    note: LongText | None = None


class AmendRequest(Command):
    type: Literal["sosa.command.amend.v1"] = AMEND
    amendment: AmendmentDetails


class CancellationDetails(Strict):
    issued_by: PartyId
    by_commerce: bool = False
    reason: LongText | None = None


class CancelRequest(Command):
    type: Literal["sosa.command.cancel.v1"] = CANCEL
    cancellation: CancellationDetails


class DeterminationDetails(Strict):
    """DoD's program determination on a partner's request."""

    authority_party_id: PartyId
    approved: bool
    reference: Reference = Field(description="DoD's reference number for the determination.")
    note: LongText | None = None


class RecordDetermination(Command):
    type: Literal["sosa.command.determine.v1"] = DETERMINE
    determination: DeterminationDetails


class AuthorizationDetails(Strict):
    """Commerce's rating authorization on a partner's request."""

    authority_party_id: PartyId
    authorized: bool
    reference: Reference = Field(description="Commerce/BIS reference number of the authorization.")
    rating: RatingText | None = Field(
        default=None, description="The rating Commerce authorizes, e.g. DO-G2."
    )
    note: LongText | None = None


class RecordAuthorization(Command):
    type: Literal["sosa.command.authorize.v1"] = AUTHORIZE
    authorization: AuthorizationDetails


class ClockTick(Command):
    """The router's own clock: a reminder point or the deadline of a request has come.

    Its `command_id` is derived from (request, timer, due time), so routers that each notice the
    same timer produce the same command and the inbox keeps only one.
    """

    type: Literal["sosa.command.tick.v1"] = TICK
    timer: Literal["reminder", "deadline", "escalation"]
    """`escalation`: the early escalation a posture's margin sets before the deadline."""
    due_at: Instant


class SetPosture(Command):
    """An operator sets the posture of one scope (`global` or a partner's country) from
    `received_at` on. `request_id` is `posture/<scope>` (`sosa.contracts.posture.subject`)."""

    type: Literal["sosa.command.set-posture.v1"] = SET_POSTURE
    scope: Scope
    posture: PostureName
    reason: LongText
    set_by: PartyId


COMMAND_TYPES: Final[dict[str, type[Command]]] = {
    SUBMIT: SubmitRequest,
    RESPOND: RespondToRequest,
    AMEND: AmendRequest,
    CANCEL: CancelRequest,
    DETERMINE: RecordDetermination,
    AUTHORIZE: RecordAuthorization,
    TICK: ClockTick,
    SET_POSTURE: SetPosture,
}


def parse_command(event_type: str, data: bytes) -> Command:
    """Build the command model named by a CloudEvents type from its JSON data."""
    try:
        model = COMMAND_TYPES[event_type]
    except KeyError:
        raise ValueError(f"unknown command type {event_type!r}") from None
    return model.model_validate_json(data)
