"""Operators replay dead letters over HTTP, as `sosa dlq replay` does (one shared
implementation, one consumer group per dead-letter topic, so a letter is replayed once whichever
way replay runs), for the topics whose dead letters intake may write back: `sosa.requests.v1`
and `sosa.parties.v1` (intake's principal writes both; `sosa.bus_acls`). Outcomes are the
router's to write: their dead letters are replayed with `sosa dlq replay` as the super user."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from sosa.infra.auth import CallerDep
from sosa.infra.dead_letter_replay import replay
from sosa.intake.api.dependencies import RuntimeDep
from sosa.intake.api.problem_docs import problems

router = APIRouter(prefix="/v1/dead-letters", tags=["operations"])
Replayable = Literal["sosa.requests.v1", "sosa.parties.v1"]
"""`sosa.contracts.topics.REQUESTS` and `PARTIES`: `sosa.bus_acls.REPLAYED_BY_INTAKE`."""
_one_at_a_time = asyncio.Lock()
"""Two replays in one group would only rebalance each other: this process runs one at a time."""


class Replayed(BaseModel):
    topic: str = Field(description="The topic the dead letters went back to (unprefixed).")
    replayed: int = Field(description="How many letters were sent back in this call.")


@router.post(
    "/{topic}/replay",
    response_model=Replayed,
    summary="Send a topic's dead letters back to it, each once (operators)",
    description="Every letter of `<topic>.dlq` not replayed before goes back, unchanged, to "
    "its original topic with a `sosa_replayed_from` header; a letter that fails again lands "
    "behind and waits for the next replay. Outcomes' dead letters: `sosa dlq replay --topic "
    "sosa.outcomes.v1` as the brokers' super user (intake may not write outcomes).",
    responses=problems(
        403, 422, 503, _403="The caller is not an operator", _503="The broker is unavailable"
    ),
)
async def replay_dead_letters(
    topic: Annotated[Replayable, Path(description="`sosa.requests.v1` or `sosa.parties.v1`.")],
    rt: RuntimeDep,
    caller: CallerDep,
) -> Replayed:
    if not caller.operator:
        raise HTTPException(403, "only operators replay dead letters")
    try:
        async with _one_at_a_time:
            count = await replay(rt.settings, topic, timeout_s=60)
    except (TimeoutError, KafkaError) as exc:
        raise HTTPException(503, f"replay did not finish: {type(exc).__name__}") from exc
    return Replayed(topic=topic, replayed=count)
