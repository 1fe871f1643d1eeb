"""A request's whole history: its commands on `sosa.requests.v1`, its outcomes on
`sosa.outcomes.v1` and the notifier's attempts to tell each party of them on
`sosa.deliveries.v1`, read from the one partition of each topic its key maps to.

Ordered by cause rather than by clock (intake's, the router's and the notifier's clocks need not
agree): each command in the order it reached the router's topic, followed by the outcomes it
caused, in sequence order, each followed by the delivery attempts that carried it (a delivery's
`message_id` is the outcome's event id), in the order they were recorded. Outcomes whose command
is not on the topic (any more) follow, in sequence order, and then the attempts whose outcome is
not there either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sosa.contracts import deliveries, outcomes, topics
from sosa.infra.settings import CommonSettings
from sosa.ops import topic_reader
from sosa.ops.records import Entry, describe


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a timeline; `cause` is the command id an outcome names as its cause, or the
    outcome's event id a delivery attempt carried."""

    entry: Entry
    kind: str  # "command", "outcome" or "delivery"
    sequence: int | None = None
    cause: str | None = None


async def read(settings: CommonSettings, request_id: str) -> list[Step]:
    """Every command, outcome and delivery attempt of `request_id` on the deployment's topics,
    in order."""
    steps: list[Step] = []
    for name, kind in (
        (topics.REQUESTS, "command"),
        (topics.OUTCOMES, "outcome"),
        (topics.DELIVERIES, "delivery"),
    ):
        async for record in topic_reader.records(settings, settings.topic(name), key=request_id):
            steps.append(step(describe(record), kind, record.value or b""))
    return ordered(steps)


def step(entry: Entry, kind: str, value: bytes) -> Step:
    """A described record, with an outcome's sequence and cause, or the outcome a delivery
    attempt carried, read from its payload."""
    try:
        if kind == "outcome" and entry.type in outcomes.OUTCOME_TYPES:
            body = json.loads(value)
            return Step(entry, kind, sequence=int(body["sequence"]), cause=str(body["caused_by"]))
        if kind == "delivery" and entry.type == deliveries.ATTEMPTED:
            return Step(entry, kind, cause=str(json.loads(value)["message_id"]))
    except (ValueError, KeyError, TypeError):
        pass
    return Step(entry, kind)


def ordered(steps: list[Step]) -> list[Step]:
    """Commands in topic order, each followed by the outcomes it caused (by sequence), each
    followed by its delivery attempts; then the outcomes of no command seen here; then the
    attempts of no outcome seen here."""
    commands = [s for s in steps if s.kind == "command"]
    results = sorted(
        (s for s in steps if s.kind == "outcome"),
        key=lambda s: (s.sequence is None, s.sequence or 0, s.entry.offset),
    )
    attempts = sorted((s for s in steps if s.kind == "delivery"), key=lambda s: s.entry.offset)
    timeline: list[Step] = []
    placed: set[int] = set()
    told: set[int] = set()
    seen: set[str | None] = set()

    def with_attempts(result: Step) -> list[Step]:
        found = [result]
        for index, attempt in enumerate(attempts):
            if index not in told and attempt.cause == result.entry.event_id:
                found.append(attempt)
                told.add(index)
        return found

    for command in sorted(commands, key=lambda s: s.entry.offset):
        timeline.append(command)
        if command.entry.event_id in seen:
            continue  # the same command again (a replay): its outcomes are listed once
        seen.add(command.entry.event_id)
        for index, result in enumerate(results):
            if index not in placed and result.cause == command.entry.event_id:
                timeline += with_attempts(result)
                placed.add(index)
    for index, result in enumerate(results):
        if index not in placed:
            timeline += with_attempts(result)
    timeline.extend(a for i, a in enumerate(attempts) if i not in told)
    return timeline


def line(step: Step) -> str:
    """`time  arrow  type  summary` (the request id is the timeline's own): `->` a command,
    `<-` an outcome, `>>` an attempt to tell a party of it."""
    arrow = {"command": "->", "outcome": "  <-"}.get(step.kind, "    >>")
    short = step.entry.type.removeprefix("sosa.")
    return f"{step.entry.time}  {arrow} {short:<26} {step.entry.summary}"
