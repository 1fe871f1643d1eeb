"""A request's whole history: its commands on `sosa.requests.v1` and its outcomes on
`sosa.outcomes.v1`, read from the one partition of each topic its key maps to.

Ordered by cause rather than by clock (intake's and the router's clocks need not agree): each
command in the order it reached the router's topic, followed by the outcomes it caused, in
sequence order; outcomes whose command is not on the topic (any more) follow, in sequence order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sosa.contracts import outcomes, topics
from sosa.infra.settings import CommonSettings
from sosa.ops import topic_reader
from sosa.ops.records import Entry, describe


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a timeline; `cause` is the command id an outcome names as its cause."""

    entry: Entry
    kind: str  # "command" or "outcome"
    sequence: int | None = None
    cause: str | None = None


async def read(settings: CommonSettings, request_id: str) -> list[Step]:
    """Every command and outcome of `request_id` on the deployment's topics, in order."""
    steps: list[Step] = []
    for name, kind in ((topics.REQUESTS, "command"), (topics.OUTCOMES, "outcome")):
        async for record in topic_reader.records(settings, settings.topic(name), key=request_id):
            steps.append(step(describe(record), kind, record.value or b""))
    return ordered(steps)


def step(entry: Entry, kind: str, value: bytes) -> Step:
    """A described record, with an outcome's sequence and cause read from its payload."""
    if kind != "outcome" or entry.type not in outcomes.OUTCOME_TYPES:
        return Step(entry, kind)
    try:
        body = json.loads(value)
        return Step(entry, kind, sequence=int(body["sequence"]), cause=str(body["caused_by"]))
    except (ValueError, KeyError, TypeError):
        return Step(entry, kind)


def ordered(steps: list[Step]) -> list[Step]:
    """Commands in topic order, each followed by the outcomes it caused (by sequence); then the
    outcomes of no command seen here."""
    commands = [s for s in steps if s.kind == "command"]
    results = sorted(
        (s for s in steps if s.kind == "outcome"),
        key=lambda s: (s.sequence is None, s.sequence or 0, s.entry.offset),
    )
    timeline: list[Step] = []
    placed: set[int] = set()
    seen: set[str | None] = set()
    for command in sorted(commands, key=lambda s: s.entry.offset):
        timeline.append(command)
        if command.entry.event_id in seen:
            continue  # the same command again (a replay): its outcomes are listed once
        seen.add(command.entry.event_id)
        for index, result in enumerate(results):
            if index not in placed and result.cause == command.entry.event_id:
                timeline.append(result)
                placed.add(index)
    timeline.extend(r for i, r in enumerate(results) if i not in placed)
    return timeline


def line(step: Step) -> str:
    """`time  command|outcome  type  summary` (the request id is the timeline's own)."""
    arrow = "->" if step.kind == "command" else "  <-"
    short = step.entry.type.removeprefix("sosa.")
    return f"{step.entry.time}  {arrow} {short:<26} {step.entry.summary}"
