"""HTTP answers of intake's write side (request bodies are the shared contract models)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from sosa.contracts.outcomes import DecisionRecord, Parties
from sosa.contracts.posture import PostureName
from sosa.contracts.states import RequestState, RoutePath


class SubmissionAccepted(BaseModel):
    """202 answer: the request is durably stored and will be routed."""

    request_id: str
    command_id: str
    state: RequestState
    received_at: AwareDatetime
    links: dict[str, str]


class CommandAccepted(BaseModel):
    """202 answer: the command is durably stored and queued for the router, which decides
    whether it fits the request; its outcome appears in the request's timeline."""

    request_id: str
    command_id: str
    command_type: str = Field(description="CloudEvents type of the command, e.g. respond.v1.")
    received_at: AwareDatetime
    links: dict[str, str] = Field(description="`self`: the command's status; `request`: its view.")


class PostureAccepted(BaseModel):
    """202 answer to a posture PUT: the posture and its `SetPosture` command are durably stored
    and queued for the router, which applies it from then on."""

    scope: str
    posture: PostureName
    previous: PostureName
    command_id: str
    received_at: AwareDatetime


class Evaluation(BaseModel):
    """What the rules would decide for a request submitted now (or at the `as_of` asked for).
    Nothing is stored or sent."""

    state: RequestState = Field(description="The state the request would be routed to.")
    path: RoutePath
    decision: DecisionRecord = Field(description="Findings with citations, deadline, rule set.")
    parties: Parties
    evaluated_at: AwareDatetime = Field(
        description="The time of receipt the rules assumed: `as_of` when given, else now."
    )
