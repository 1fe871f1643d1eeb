"""The dry run: what the rules would decide for a request submitted now, storing nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from sosa.contracts import commands
from sosa.contracts.requests import PriorityRequestDetails
from sosa.decisions import translate
from sosa.decisions.config import RulesConfig
from sosa.intake.commands.answers import Evaluation
from sosa.rules import Posture, PostureBoard


class UndecidableError(ValueError):
    """The decision would carry a date or time that no message may (outside 1900-2200,
    `sosa.contracts.instants`): a required delivery date of the year 9999, say, or a deadline
    that `as_of` pushes past 2200. `errors` name the input at fault, as a 422 does."""

    def __init__(self, cause: ValidationError, *, as_of_given: bool) -> None:
        super().__init__(str(cause))
        self.errors: list[dict[str, Any]] = [
            _input_at_fault(error["loc"], error["msg"], as_of_given=as_of_given)
            for error in cause.errors()
        ]


def _input_at_fault(
    location: tuple[int | str, ...], message: str, *, as_of_given: bool
) -> dict[str, Any]:
    field = ".".join(str(part) for part in location)
    if location and location[0] == "required_delivery_dates":
        where: tuple[int | str, ...] = ("body", *location)
    elif as_of_given:
        where, message = (
            ("query", "as_of"),
            f"the decision's {field} would be out of range: {message}",
        )
    else:
        where, message = ("body",), f"the decision's {field} would be out of range: {message}"
    return {"loc": where, "msg": message, "type": "value_error"}


def evaluate(
    details: PriorityRequestDetails,
    *,
    rules: RulesConfig,
    now: datetime,
    postures: Mapping[str, str] | None = None,
    as_of_given: bool = False,
    registered: commands.RegisteredFacts | None = None,
) -> Evaluation:
    """The router's submission decision for `details` received at `now`, made by the router's
    own function (`translate.decide_submission`) under the postures in force (`postures`: scope
    -> posture, as intake set them; the router learns each change as a command, so right after
    a change the two may differ for as long as the router lags), the parties' facts filled from
    the registry (`registered`: its facts, `party_facts.resolve_submission`). The command is
    built only to ask the rules; it gets a throwaway id and goes nowhere. UndecidableError when
    the decision would hold a date or time out of range (`as_of_given`: `now` is the caller's)."""
    command = commands.SubmitRequest(
        command_id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        received_at=now,
        details=details,
        registered=registered,
    )
    board = PostureBoard(
        rules.postures, {scope: Posture(name) for scope, name in (postures or {}).items()}
    )
    try:
        decided = translate.decide_submission(command, rules, board)
        return Evaluation(
            state=decided.state,
            path=decided.path,
            decision=decided.record,
            parties=translate.parties(decided.facts, rules),
            evaluated_at=now,
        )
    except ValidationError as exc:
        raise UndecidableError(exc, as_of_given=as_of_given) from exc
