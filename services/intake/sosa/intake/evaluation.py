"""The dry run: what the rules would decide for a request submitted now, storing nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from sosa.contracts import commands
from sosa.contracts.requests import PriorityRequestDetails
from sosa.decisions import translate
from sosa.decisions.config import RulesConfig
from sosa.intake.schemas import Evaluation


def evaluate(details: PriorityRequestDetails, *, rules: RulesConfig, now: datetime) -> Evaluation:
    """The router's submission decision for `details` received at `now`. The command is built
    only to ask the rules; it gets a throwaway id and goes nowhere."""
    command = commands.SubmitRequest(
        command_id=str(uuid.uuid4()), request_id=str(uuid.uuid4()), received_at=now, details=details
    )
    decided = translate.decide_submission(command, rules)
    return Evaluation(
        state=decided.state,
        path=decided.path,
        decision=decided.record,
        parties=translate.parties(decided.facts, rules),
        evaluated_at=now,
    )
