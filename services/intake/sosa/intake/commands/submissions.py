"""Accepting a submission: the rows of a new request, built before any I/O (`writes.Write`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sosa.contracts import commands, involvement
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState
from sosa.infra.auth import Caller
from sosa.intake import audit
from sosa.intake.commands.answers import SubmissionAccepted
from sosa.intake.commands.command_log import command_rows
from sosa.intake.commands.idempotency import Key, key_row
from sosa.intake.commands.writes import Write
from sosa.intake.insights.resilience_figures import item_keys
from sosa.intake.views.links import request_link
from sosa.intake.views.ratings import stored_rating


def submission(
    details: PriorityRequestDetails,
    *,
    posted: PriorityRequestDetails | None = None,
    registered: commands.RegisteredFacts | None = None,
    caller: Caller,
    key: Key | None,
    now: datetime,
    source: str,
) -> Write[SubmissionAccepted]:
    """A new request's submit command, its outbox row, its first view row (`received`, so that
    it can be read back at once; from then on only outcome events move it), the requester's
    access (the supplier's comes with the outcome that routes the request to it:
    `sosa.contracts.involvement`), the idempotency key and the audit entry. `details` have the
    parties' facts filled from the registry (`registered`, `party_facts`); `posted` is the body
    as sent, which the Idempotency-Key remembers."""
    command = commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        received_at=now,
        details=details,
        registered=registered,
    )
    answer = SubmissionAccepted(
        request_id=command.request_id,
        command_id=command.command_id,
        state=RequestState.RECEIVED,
        received_at=now,
        links={"self": request_link(command.request_id)},
    )
    command_row, outbox_row = command_rows(command, source=source)
    rating = stored_rating(details.rating)
    view = {
        "request_id": command.request_id,
        "state": RequestState.RECEIVED,
        "path": None,
        "requester": details.requester.party_id,
        "supplier": details.supplier.party_id,
        "rating": rating.text,
        "rating_level": rating.level,
        "details": command_row["body"]["details"],
        "decision": None,
        "deadline": None,
        "required_delivery_date": earliest_date(details.required_delivery_dates),
        "rated_at": None,
        "last_sequence": 0,
        "received_at": now,
        "updated_at": now,
    }
    grants = {(details.requester.party_id, relation) for relation in involvement.AT_SUBMISSION}
    return Write(
        answer=answer,
        command=command_row,
        outbox=outbox_row,
        view=view,
        grants=tuple(
            {"request_id": command.request_id, "party_id": p, "relation": r} for p, r in grants
        ),
        items=tuple(
            {"request_id": command.request_id, "item_key": key}
            for key in item_keys(item.description for item in details.items)
        ),
        key=key_row(
            key,
            party_id=caller.party_id,
            body=posted or details,
            answer=answer,
            location=answer.links["self"],
            now=now,
        ),
        audit=audit.Entry(
            at=now,
            actor=caller.party_id,
            kind="command:submit",
            request_id=command.request_id,
            details={"command_id": command.command_id, "via": caller.via},
        ),
    )


def earliest_date(texts: Iterable[str]) -> date | None:
    """The earliest of the required delivery dates that are ISO dates; until the router's
    decision gives the dates it accepted, the view schedules by these."""
    dates = []
    for text in texts:
        try:
            dates.append(date.fromisoformat(text.strip()))
        except ValueError:
            continue  # "ASAP" and the like: the rules will say why that is no date
    return min(dates, default=None)
