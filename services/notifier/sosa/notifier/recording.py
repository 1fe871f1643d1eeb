"""Recording attempts: the attempt row, the delivery's new status and schedule, the endpoint's
health, operator alerts, and the `sosa.deliveries.v1` record (outbox).

The dispatcher hands each finished attempt to a group commit (`record_all`): the attempts that
finish while one batch is being stored are stored together in the next transaction. Delivered
attempts, nearly all of them, are written with one statement per table; the rest (a failure
to schedule again, an endpoint to disable, an alert) one by one, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import envelope, topics
from sosa.contracts.deliveries import ATTEMPTED, DeliveryAttempted
from sosa.infra.db import is_postgres
from sosa.infra.membership import among
from sosa.infra.outbox import outbox_row
from sosa.infra.url_redaction import redact_url
from sosa.notifier import endpoint_health, notices, postures, retry, tables
from sosa.notifier.attempts import AttemptResult
from sosa.notifier.settings import NotifierSettings


def next_step(
    row: Any,
    result: AttemptResult,
    *,
    now: datetime,
    settings: NotifierSettings,
    retry_factor: float = 1.0,
) -> tuple[str, datetime | None]:
    """The delivery's status after this attempt, and when to try again (None: not again). A
    posture shortens the waits of the configured schedule by `retry_factor`."""
    if result.delivered:
        return "delivered", None
    if result.permanent:
        return "failed", None
    next_at = retry.next_attempt_at(
        attempts_made=row.attempts + 1,
        schedule_s=[wait * retry_factor for wait in settings.retry_schedule_s],
        now=now,
        retry_after_s=result.retry_after_s,
        jitter=settings.retry_jitter,
    )
    return ("pending", next_at) if next_at else ("failed", None)


def escalate_now(row: Any, status: str, next_at: datetime | None) -> bool:
    """A clock message escalates early when this channel can no longer deliver it in time: it
    failed for good, or its next attempt falls after the escalation point."""
    if row.escalate_at is None or row.escalated_at is not None or row.escalated_from:
        return False
    return status == "failed" or (next_at is not None and next_at >= row.escalate_at)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A finished attempt to record: the claimed delivery row, what happened, when."""

    row: Any
    result: AttemptResult
    now: datetime


async def record_all(
    session: AsyncSession, attempts: Sequence[Attempt], *, settings: NotifierSettings
) -> Sequence[Attempt]:
    """Record a batch of attempts in the caller's transaction (returns them all: none is
    refused). Every delivery row is locked first, in one order, then the endpoints: the order
    in which a single attempt and the escalation scan take them too. When every attempt was
    delivered (nearly always), the update of the deliveries, in delivery order, takes those
    locks itself; otherwise they are taken first with one SELECT ... FOR UPDATE."""
    d = tables.deliveries
    attempts = sorted(attempts, key=lambda a: a.row.delivery_id)
    plain = [a for a in attempts if a.result.delivered and not a.result.disable]
    if is_postgres(session) and len(plain) < len(attempts):
        ids = [a.row.delivery_id for a in attempts]
        await session.execute(
            select(d.c.delivery_id).where(among(session, d.c.delivery_id, ids)).with_for_update()
        )
    await _record_delivered(session, plain, settings=settings)
    done = {id(a) for a in plain}
    for attempt in attempts:
        if id(attempt) not in done:
            await record_attempt(
                session, attempt.row, attempt.result, now=attempt.now, settings=settings
            )
    return attempts


async def _record_delivered(
    session: AsyncSession, attempts: Sequence[Attempt], *, settings: NotifierSettings
) -> None:
    """Delivered attempts, set-based: what `record_attempt` writes for each. On PostgreSQL the
    deliveries, the attempts, the outbox rows and the endpoints' streaks go in one statement of
    one shape whatever the round's size (`_DELIVERED`, one array per column); SQLite takes one
    statement per table."""
    if not attempts:
        return
    published = []
    for a in attempts:
        values = {"attempts": a.row.attempts + 1, "status": "delivered", "next_attempt_at": None}
        record = _published(a.row, a.result, str(uuid.uuid4()), values, a.now, settings)
        published.append(outbox_row(topics.DELIVERIES, record))
    if is_postgres(session):
        await session.execute(_DELIVERED, _delivered_columns(attempts, published))
        return
    await _delivered_row_by_row(session, attempts, published)
    endpoints = sorted({a.row.endpoint_id for a in attempts if a.row.channel == "webhook"})
    if endpoints:
        await endpoint_health.clear_streaks(session, endpoints)


_OUTBOX_COLUMNS = (
    "topic",
    "event_id",
    "event_type",
    "source",
    "subject",
    "time",
    "data",
    "traceparent",
)
_DELIVERED = text(
    # the deliveries locked in delivery order (`ORDER BY ... FOR UPDATE`, before any of them is
    # updated: the order a single attempt and the escalation scan take them in), then updated,
    # their attempts and their records for `sosa.deliveries.v1` inserted; the endpoints after:
    # their failure streaks cleared (`endpoint_health.clear_streaks`: only those with one are
    # written), found from an array of every updated delivery's endpoint, which PostgreSQL
    # computes whole (an InitPlan) before it looks at any endpoint's row
    "WITH v AS (SELECT * FROM unnest(CAST(:delivery_id AS text[]),"
    " CAST(:attempt_number AS integer[]), CAST(:attempted_at AS timestamptz[]),"
    " CAST(:status_code AS integer[]), CAST(:latency_ms AS integer[]),"
    " CAST(:response_excerpt AS text[]), CAST(:target AS text[]))"
    " AS v(delivery_id, attempt_number, attempted_at, status_code, latency_ms,"
    " response_excerpt, target)),"
    " locked AS (SELECT delivery_id FROM deliveries"
    " WHERE delivery_id = ANY(CAST(:delivery_id AS text[]))"
    " ORDER BY delivery_id FOR UPDATE),"
    " delivered AS (UPDATE deliveries AS d SET attempts = v.attempt_number,"
    " status = 'delivered', next_attempt_at = NULL, last_error = NULL,"
    " delivered_at = v.attempted_at FROM v JOIN locked USING (delivery_id)"
    " WHERE d.delivery_id = v.delivery_id RETURNING d.endpoint_id),"
    " cleared AS (UPDATE endpoints SET failure_streak = 0, failing_since = NULL"
    " WHERE endpoint_id = ANY(ARRAY(SELECT endpoint_id FROM delivered))"
    " AND (failure_streak <> 0 OR failing_since IS NOT NULL)),"
    " attempted AS (INSERT INTO attempts (delivery_id, attempt_number, attempted_at,"
    " status_code, latency_ms, error, response_excerpt, target)"
    " SELECT delivery_id, attempt_number, attempted_at, status_code, latency_ms, NULL,"
    " response_excerpt, target FROM v)"
    " INSERT INTO outbox (topic, event_id, event_type, source, subject, time, data,"
    " traceparent) SELECT * FROM unnest(CAST(:o_topic AS text[]),"
    " CAST(:o_event_id AS text[]), CAST(:o_event_type AS text[]), CAST(:o_source AS text[]),"
    " CAST(:o_subject AS text[]), CAST(:o_time AS timestamptz[]), CAST(:o_data AS bytea[]),"
    " CAST(:o_traceparent AS text[]))"
)
"""One text whatever the number of attempts: parsed and planned once per connection."""


def _delivered_columns(
    attempts: Sequence[Attempt], published: Sequence[dict[str, Any]]
) -> dict[str, list[Any]]:
    """The parameters of `_DELIVERED`: one array per column, the attempts in delivery order."""
    return {
        "delivery_id": [a.row.delivery_id for a in attempts],
        "attempt_number": [a.row.attempts + 1 for a in attempts],
        "attempted_at": [a.now for a in attempts],
        "status_code": [a.result.status_code for a in attempts],
        "latency_ms": [a.result.latency_ms for a in attempts],
        "response_excerpt": [a.result.response_excerpt for a in attempts],
        "target": [target_of(a.row) for a in attempts],
        **{f"o_{name}": [row[name] for row in published] for name in _OUTBOX_COLUMNS},
    }


async def _delivered_row_by_row(
    session: AsyncSession, attempts: Sequence[Attempt], published: Sequence[dict[str, Any]]
) -> None:
    """SQLite (no arrays): one executemany per table."""
    d = tables.deliveries
    await session.execute(
        update(d)
        .where(d.c.delivery_id == bindparam("b_delivery_id"))
        .values(
            attempts=bindparam("b_attempts"),
            status="delivered",
            next_attempt_at=None,
            last_error=None,
            delivered_at=bindparam("b_delivered_at"),
        ),
        [
            {
                "b_delivery_id": a.row.delivery_id,
                "b_attempts": a.row.attempts + 1,
                "b_delivered_at": a.now,
            }
            for a in attempts
        ],
    )
    await session.execute(
        tables.attempts.insert(),
        [
            {
                "delivery_id": a.row.delivery_id,
                "attempt_number": a.row.attempts + 1,
                "attempted_at": a.now,
                "status_code": a.result.status_code,
                "latency_ms": a.result.latency_ms,
                "error": None,
                "response_excerpt": a.result.response_excerpt,
                "target": target_of(a.row),
            }
            for a in attempts
        ],
    )
    await session.execute(tables.outbox.insert(), published)


async def record_attempt(
    session: AsyncSession,
    row: Any,
    result: AttemptResult,
    *,
    now: datetime,
    settings: NotifierSettings,
) -> None:
    d = tables.deliveries
    if is_postgres(session):
        # our delivery row first, then the endpoint, then the operators' stream: the order in
        # which the escalation scan takes them too, so the two never wait on each other in a loop
        await session.execute(
            select(d.c.delivery_id).where(d.c.delivery_id == row.delivery_id).with_for_update()
        )
    factors = postures.for_partner(await postures.in_force(session), row.partner_country)
    status, next_at = next_step(
        row, result, now=now, settings=settings, retry_factor=factors.retry_interval
    )
    disabled = None
    if row.channel == "webhook":
        disabled = await endpoint_health.record(
            session,
            row.endpoint_id,
            delivered=result.delivered,
            disable=result.disable,
            now=now,
            settings=settings,
        )
        if disabled and status == "pending":
            status, next_at = "failed", None
    values: dict[str, Any] = {
        "attempts": row.attempts + 1,
        "status": status,
        "next_attempt_at": next_at,
        "last_error": None if result.delivered else result.describe()[:500],
    }
    if status == "delivered":
        values["delivered_at"] = now
    if escalate_now(row, status, next_at):
        values["escalate_at"] = now
    attempt_id = str(uuid.uuid4())
    await session.execute(
        tables.attempts.insert().values(
            delivery_id=row.delivery_id,
            attempt_number=row.attempts + 1,
            attempted_at=now,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error[:500] if result.error else None,
            response_excerpt=result.response_excerpt,
            target=target_of(row),
        )
    )
    await session.execute(
        update(tables.deliveries)
        .where(tables.deliveries.c.delivery_id == row.delivery_id)
        .values(**values)
    )
    await session.execute(
        tables.outbox.insert().values(
            outbox_row(
                topics.DELIVERIES, _published(row, result, attempt_id, values, now, settings)
            )
        )
    )
    if status == "failed" and not notices.is_notice(row.event_type):
        await _alert_failed(session, row, result, disabled, now=now, settings=settings)


def target_of(row: Any) -> str:
    """Where the attempt went: the address, or the URL without credentials, query or fragment."""
    if row.channel == "email":
        return str(row.address)
    return redact_url(row.url)


def _published(
    row: Any,
    result: AttemptResult,
    attempt_id: str,
    values: dict[str, Any],
    now: datetime,
    settings: NotifierSettings,
) -> envelope.Envelope:
    status = values["status"]
    # built from the notifier's own rows and results: trusted, so not validated again
    record = DeliveryAttempted.model_construct(
        attempt_id=attempt_id,
        delivery_id=row.delivery_id,
        message_id=row.event_id,
        event_type=row.event_type,
        request_id=row.request_id,
        party_id=row.party_id,
        role=row.role or "unknown",
        fields=row.fields or [],
        channel=row.channel,
        target_id=row.endpoint_id or row.recipient_id,
        target=target_of(row),
        attempt=values["attempts"],
        attempted_at=now,
        outcome="retrying" if status == "pending" else status,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        response_excerpt=result.response_excerpt,
        next_attempt_at=values["next_attempt_at"],
        escalation_of=row.escalated_from,
    )
    return envelope.wrap(
        record,
        event_id=attempt_id,
        event_type=ATTEMPTED,
        source=settings.notifier_source,
        subject=row.request_id or row.delivery_id,
        time=now,
    )


async def _alert_failed(
    session: AsyncSession,
    row: Any,
    result: AttemptResult,
    disabled: str | None,
    *,
    now: datetime,
    settings: NotifierSettings,
) -> None:
    reason = "endpoint_disabled" if disabled else "refused" if result.permanent else "exhausted"
    await notices.notify_operators(
        session,
        settings,
        kind="delivery_failed",
        key=f"{row.delivery_id}/{row.attempts + 1}",
        data={
            "reason": reason,
            "delivery_id": row.delivery_id,
            "message_id": row.event_id,
            "event_type": row.event_type,
            "request_id": row.request_id,
            "party_id": row.party_id,
            "role": row.role,
            "channel": row.channel,
            "target": target_of(row),
            "attempts": row.attempts + 1,
            "last_error": result.describe(),
        },
        now=now,
        request_id=row.request_id,
    )
