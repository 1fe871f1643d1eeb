"""Endpoint health: a success clears the failure streak; 410 Gone or sustained failure disables
the endpoint, parks its pending deliveries (recoverable once it is enabled again) and alerts
the operators."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.membership import among
from sosa.infra.url_redaction import redact_url
from sosa.notifier import notices, tables
from sosa.notifier.settings import NotifierSettings

e, d = tables.endpoints, tables.deliveries


def sustained_failure(
    streak: int, failing_since: datetime, *, now: datetime, min_failures: int, after: timedelta
) -> bool:
    """Every attempt failed, at least `min_failures` of them, for at least `after` (like Svix:
    one bad night does not disable an endpoint; a week of silence does)."""
    return streak >= min_failures and now - failing_since >= after


async def record(
    session: AsyncSession,
    endpoint_id: str,
    *,
    delivered: bool,
    disable: str | None,
    now: datetime,
    settings: NotifierSettings,
) -> str | None:
    """Update the endpoint's streak after one attempt; returns why it was disabled, if it was."""
    if disable:  # 410 Gone, or the receiver's own `webhook-delivery: disable`
        return await disable_endpoint(
            session, endpoint_id, reason=disable, now=now, settings=settings
        )
    if delivered:
        await clear_streaks(session, [endpoint_id])
        return None
    streak, since = (
        await session.execute(
            update(e)
            .where(e.c.endpoint_id == endpoint_id)
            .values(
                failure_streak=e.c.failure_streak + 1,
                failing_since=func.coalesce(e.c.failing_since, now),
            )
            .returning(e.c.failure_streak, e.c.failing_since)
        )
    ).one()
    after = timedelta(seconds=settings.endpoint_disable_after_s)
    min_failures = settings.endpoint_disable_min_failures
    if sustained_failure(streak, since, now=now, min_failures=min_failures, after=after):
        return await disable_endpoint(
            session, endpoint_id, reason="sustained_failure", now=now, settings=settings
        )
    return None


async def clear_streaks(session: AsyncSession, endpoint_ids: list[str]) -> None:
    """A success clears these endpoints' failure streaks; an endpoint without one is not
    written (most are not failing: no row lock is taken for nothing)."""
    await session.execute(
        update(e)
        .where(
            among(session, e.c.endpoint_id, endpoint_ids),
            or_(e.c.failure_streak != 0, e.c.failing_since.is_not(None)),
        )
        .values(failure_streak=0, failing_since=None)
    )


async def disable_endpoint(
    session: AsyncSession,
    endpoint_id: str,
    *,
    reason: str,
    now: datetime,
    settings: NotifierSettings,
) -> str | None:
    """Disable an enabled endpoint (once), park its pending deliveries, alert the operators."""
    found = (
        await session.execute(
            update(e)
            .where(e.c.endpoint_id == endpoint_id, e.c.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason, disabled_at=now)
            .returning(e.c.party_id, e.c.url, e.c.failure_streak, e.c.failing_since)
        )
    ).one_or_none()
    if found is None:
        return None
    parked = await session.execute(
        update(d)
        .where(d.c.endpoint_id == endpoint_id, d.c.status == "pending")
        .values(
            status="failed",
            next_attempt_at=None,
            last_error=f"endpoint disabled ({reason})",
            # what can no longer arrive here must go another way now, not at the deadline
            escalate_at=case((d.c.escalate_at > now, now), else_=d.c.escalate_at),
        )
    )
    await notices.notify_operators(
        session,
        settings,
        kind="endpoint_disabled",
        key=f"{endpoint_id}/{now.isoformat()}",
        data={
            "endpoint_id": endpoint_id,
            "party_id": found.party_id,
            "url": redact_url(found.url),
            "reason": reason,
            "failure_streak": found.failure_streak,
            "failing_since": found.failing_since.isoformat() if found.failing_since else None,
            "parked_deliveries": int(getattr(parked, "rowcount", 0) or 0),
            "disabled_at": now.isoformat(),
        },
        now=now,
    )
    return reason
