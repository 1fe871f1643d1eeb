"""Commands and outcomes as the services put them on Kafka, for the operators' tool's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from pydantic import BaseModel

from sosa.contracts import commands, deliveries, envelope, outcomes
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState, RoutePath
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def submit(request_id: str, command_id: str, at: datetime = T0) -> commands.SubmitRequest:
    return commands.SubmitRequest(
        command_id=command_id,
        request_id=request_id,
        received_at=at,
        details=PriorityRequestDetails.model_validate(DPAS_REQUEST),
    )


def accept(request_id: str, command_id: str, at: datetime = T0) -> commands.RespondToRequest:
    return commands.RespondToRequest(
        command_id=command_id,
        request_id=request_id,
        received_at=at,
        response=commands.SupplierResponseDetails(supplier_party_id="acme-valves", kind="accept"),
    )


def transitioned(
    request_id: str,
    *,
    sequence: int,
    cause: str,
    before: RequestState | None,
    after: RequestState,
    at: datetime = T0,
) -> outcomes.RequestTransitioned:
    return outcomes.RequestTransitioned(
        event_id=f"{request_id}-out-{sequence}",
        request_id=request_id,
        sequence=sequence,
        state=after,
        path=RoutePath.DPAS,
        decision=outcomes.DecisionRecord(
            outcome=after.value,
            findings=[
                outcomes.Finding(
                    rule_id="DPAS_700_13_C_ACCEPT_OR_REJECT",
                    citation="15 CFR 700.13(c)",
                    reason="A DO-rated order must be accepted or rejected within 15 working days.",
                )
            ],
            deadline=T0 + timedelta(days=21),
            ruleset_version="test",
        ),
        parties=outcomes.Parties(requester="dod-navsea", supplier="acme-valves"),
        caused_by=cause,
        previous_state=before,
        occurred_at=at,
    )


Parts = tuple[bytes, bytes, list[tuple[str, bytes]]]


def kafka_parts(
    payload: BaseModel, *, event_id: str, event_type: str, subject: str, at: datetime
) -> Parts:
    return envelope.to_kafka(
        envelope.wrap(
            payload,
            event_id=event_id,
            event_type=event_type,
            source="tests",
            subject=subject,
            time=at,
        )
    )


def command_parts(command: commands.Command) -> Parts:
    return kafka_parts(
        command,
        event_id=command.command_id,
        event_type=command.type,  # type: ignore[attr-defined]
        subject=command.request_id,
        at=command.received_at,
    )


def outcome_parts(event: outcomes.OutcomeEvent) -> Parts:
    return kafka_parts(
        event,
        event_id=event.event_id,
        event_type=outcomes.type_of(event),
        subject=event.request_id,
        at=event.occurred_at,
    )


def record(
    parts: Parts,
    *,
    topic: str = "sosa.outcomes.v1",
    partition: int = 0,
    offset: int = 0,
) -> SimpleNamespace:
    """What aiokafka's consumer hands back, as far as the tool reads it."""
    key, value, headers = parts
    return SimpleNamespace(
        topic=topic,
        partition=partition,
        offset=offset,
        key=key,
        value=value,
        headers=tuple(headers),
        timestamp=int(T0.timestamp() * 1000),
    )


def attempted(
    request_id: str, outcome_id: str, *, attempt: int = 1, at: datetime = T0
) -> deliveries.DeliveryAttempted:
    """The notifier's record of one webhook attempt to tell the supplier of outcome `outcome_id`."""
    return deliveries.DeliveryAttempted(
        attempt_id=f"{outcome_id}-attempt-{attempt}",
        delivery_id=f"{outcome_id}-supplier-webhook",
        message_id=outcome_id,
        event_type="request.routed",
        request_id=request_id,
        party_id="acme-valves",
        role="supplier",
        channel="webhook",
        target_id="ep-1",
        target="https://acme.example/hooks",
        attempt=attempt,
        attempted_at=at,
        outcome="delivered" if attempt > 1 else "retrying",
        status_code=204 if attempt > 1 else 503,
        latency_ms=12,
    )


def attempt_parts(record: deliveries.DeliveryAttempted) -> Parts:
    return kafka_parts(
        record,
        event_id=record.attempt_id,
        event_type=deliveries.ATTEMPTED,
        subject=record.request_id or record.delivery_id,
        at=record.attempted_at,
    )
