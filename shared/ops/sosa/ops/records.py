"""Kafka records as an operator reads them: one line (or one JSON object) per record.

Pure: takes what a consumer returns (value, key, headers, topic, partition, offset, timestamp)
and says what it is - the CloudEvents type and subject, and a short summary of the payload:
for an outcome, the state it moved to and the rules that decided it; for a command, its kind
and the party behind it; for a delivery attempt (`sosa.deliveries.v1`), where it went and how
it ended.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from sosa.contracts import commands, deliveries, envelope, outcomes

_MAX_REASON = 80


@dataclass(frozen=True, slots=True)
class Entry:
    """One record, described."""

    time: str
    """The CloudEvents time, or the record's Kafka timestamp when it is not one of ours."""
    topic: str
    partition: int
    offset: int
    type: str
    request_id: str
    summary: str
    event_id: str | None = None

    def line(self) -> str:
        return (
            f"{self.time}  {self.partition}/{self.offset}  {self.type}  "
            f"{self.request_id or '-'}  {self.summary}"
        )

    def json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def describe(record: Any) -> Entry:
    """What a consumed Kafka record says (anything with aiokafka's ConsumerRecord fields)."""
    value: bytes = record.value or b""
    headers = list(record.headers or ())
    try:
        message = envelope.from_kafka(value, headers)
    except ValueError:
        key: bytes | None = record.key
        return Entry(
            time=_kafka_time(record.timestamp),
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            type="-",
            request_id=key.decode(errors="replace") if key else "",
            summary=f"not a CloudEvent ({len(value)} bytes)",
        )
    return Entry(
        time=message.time.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        type=message.type,
        request_id=message.subject,
        summary=summarize(message.type, message.data),
        event_id=message.id,
    )


def summarize(event_type: str, data: bytes) -> str:
    """A short summary of a command's, an outcome's or a delivery attempt's payload; the size
    alone for anything else."""
    try:
        if event_type in commands.COMMAND_TYPES:
            return command_summary(commands.parse_command(event_type, data))
        if event_type in outcomes.OUTCOME_TYPES:
            return outcome_summary(outcomes.parse_outcome(event_type, data))
        if event_type == deliveries.ATTEMPTED:
            return attempt_summary(deliveries.DeliveryAttempted.model_validate_json(data))
    except (ValidationError, ValueError) as exc:
        return f"unreadable payload: {str(exc).splitlines()[0]}"
    return f"{len(data)} bytes"


def command_summary(command: commands.Command) -> str:
    """`kind by party`, with what distinguishes this command of its kind."""
    match command:
        case commands.SubmitRequest(details=d):
            return (
                f"submit by {d.requester.party_id} to {d.supplier.party_id} "
                f"rating={d.rating or '-'}"
            )
        case commands.RespondToRequest(response=r):
            reason = f" reason={r.reason}" if r.reason else ""
            return f"respond {r.kind} by {r.supplier_party_id}{reason}"
        case commands.AmendRequest(amendment=a):
            return f"amend {a.kind} by {a.issued_by}"
        case commands.CancelRequest(cancellation=c):
            return f"cancel by {c.issued_by}"
        case commands.RecordDetermination(determination=d):
            verdict = "approved" if d.approved else "denied"
            return f"determine {verdict} by {d.authority_party_id} ref={d.reference}"
        case commands.RecordAuthorization(authorization=a):
            verdict = "authorized" if a.authorized else "refused"
            rating = f" rating={a.rating}" if a.rating else ""
            return f"authorize {verdict} by {a.authority_party_id}{rating} ref={a.reference}"
        case commands.ClockTick(timer=timer, due_at=due):
            return f"tick {timer} due {_instant(due)} by router clock"
    return type(command).__name__


def outcome_summary(event: outcomes.OutcomeEvent) -> str:
    """`#sequence previous -> state`, what kind of outcome it was, and the rules that fired."""
    match event:
        case outcomes.RequestTransitioned(previous_state=before):
            head = f"{before.value if before else '(new)'} -> {event.state.value}"
        case outcomes.CommandRefused(command_type=kind, actor=actor):
            head = (
                f"refused {kind.rsplit('.', 2)[-2]} by {actor or '-'} (stays {event.state.value})"
            )
        case outcomes.ResponseReminded(due_at=due):
            head = f"reminded (due {_instant(due)}, stays {event.state.value})"
        case outcomes.Escalated(escalated_to=to):
            head = f"escalated to {to} (stays {event.state.value})"
        case _:
            head = event.state.value
    deadline = f" deadline={_instant(event.decision.deadline)}" if event.decision.deadline else ""
    return f"#{event.sequence} {head}{deadline}{_findings(event.decision.findings)}"


def attempt_summary(attempt: deliveries.DeliveryAttempted) -> str:
    """`event_type to party (role) by channel #attempt: outcome status`, and the error if any."""
    status = f" {attempt.status_code}" if attempt.status_code is not None else ""
    error = f" ({_short(attempt.error)})" if attempt.error else ""
    return (
        f"{attempt.event_type} to {attempt.party_id} ({attempt.role}) by {attempt.channel} "
        f"#{attempt.attempt}: {attempt.outcome}{status}{error}"
    )


def _findings(findings: list[outcomes.Finding]) -> str:
    if not findings:
        return ""
    return " | " + "; ".join(f"{f.rule_id}: {_short(f.reason)}" for f in findings)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _kafka_time(timestamp_ms: int | None) -> str:
    if timestamp_ms is None or timestamp_ms < 0:
        return "-"
    return _instant(datetime.fromtimestamp(timestamp_ms / 1000, UTC))
