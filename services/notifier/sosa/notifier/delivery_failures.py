"""Delivery failures by endpoint (and e-mail recipient): what the dashboard's failures panel and
`GET /v1/delivery-failures` show.

A failed attempt is one that did not get a 2xx answer (an error, a timeout, any other status). For
each webhook endpoint or e-mail recipient with a failure in the window, or with deliveries now
given up (`failed`) or waiting for a retry after a failure: how many of each, the endpoint's
current failure streak and whether it is disabled, and the last error seen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.infra.url_redaction import redact_urls
from sosa.notifier import tables

d, a, e, r = tables.deliveries, tables.attempts, tables.endpoints, tables.email_recipients


def _failed_attempt() -> Any:
    return or_(
        a.c.error.is_not(None),
        a.c.status_code.is_(None),
        a.c.status_code < 200,
        a.c.status_code >= 300,
    )


async def by_target(
    session: AsyncSession, *, since: datetime, party_id: str | None
) -> list[dict[str, Any]]:
    """One row per endpoint or recipient with failures (`party_id` None: every party's)."""
    attempts = (
        select(
            d.c.channel,
            func.coalesce(d.c.endpoint_id, d.c.recipient_id).label("target_id"),
            func.count().label("failed_attempts"),
            func.max(a.c.attempted_at).label("last_failure_at"),
        )
        .select_from(a.join(d, a.c.delivery_id == d.c.delivery_id))
        .where(a.c.attempted_at >= since, _failed_attempt())
        .group_by(d.c.channel, func.coalesce(d.c.endpoint_id, d.c.recipient_id))
    )
    statuses = (
        select(
            d.c.channel,
            func.coalesce(d.c.endpoint_id, d.c.recipient_id).label("target_id"),
            func.sum(case((d.c.status == "failed", 1), else_=0)).label("failed"),
            func.sum(case((and_(d.c.status == "pending", d.c.attempts >= 1), 1), else_=0)).label(
                "retrying"
            ),
        )
        .where(or_(d.c.status == "failed", and_(d.c.status == "pending", d.c.attempts >= 1)))
        .group_by(d.c.channel, func.coalesce(d.c.endpoint_id, d.c.recipient_id))
    )
    if party_id is not None:
        attempts = attempts.where(d.c.party_id == party_id)
        statuses = statuses.where(d.c.party_id == party_id)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in (await session.execute(attempts)).all():
        rows[(row.channel, row.target_id)] = {
            "failed_attempts": row.failed_attempts,
            "last_failure_at": row.last_failure_at,
        }
    for row in (await session.execute(statuses)).all():
        rows.setdefault((row.channel, row.target_id), {}).update(
            failed=int(row.failed or 0), retrying=int(row.retrying or 0)
        )
    if not rows:
        return []
    targets = await _targets(session, [t for _, t in rows])
    out = []
    for (channel, target_id), figures in rows.items():
        target = targets.get(target_id, {})
        out.append(
            {
                "channel": channel,
                "target_id": target_id,
                "party_id": target.get("party_id"),
                "target": target.get("target"),
                "enabled": target.get("enabled"),
                "disabled_reason": target.get("disabled_reason"),
                "failure_streak": target.get("failure_streak", 0),
                "failing_since": target.get("failing_since"),
                "failed_attempts": figures.get("failed_attempts", 0),
                "last_failure_at": figures.get("last_failure_at"),
                "failed": figures.get("failed", 0),
                "retrying": figures.get("retrying", 0),
                "last_error": target.get("last_error"),
            }
        )
    out.sort(key=lambda t: (-t["failed"], -t["failed_attempts"], t["target_id"]))
    return out


async def _targets(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Who each endpoint or recipient is, and the last error of its latest failed delivery."""
    found: dict[str, dict[str, Any]] = {}
    endpoints = select(
        e.c.endpoint_id.label("id"),
        e.c.party_id,
        e.c.url.label("target"),
        e.c.enabled,
        e.c.disabled_reason,
        e.c.failure_streak,
        e.c.failing_since,
    ).where(e.c.endpoint_id.in_(ids))
    recipients = select(
        r.c.recipient_id.label("id"),
        r.c.party_id,
        r.c.address.label("target"),
        r.c.enabled,
        literal(None).label("disabled_reason"),
        literal(0).label("failure_streak"),
        literal(None).label("failing_since"),
    ).where(r.c.recipient_id.in_(ids))
    for row in (await session.execute(union_all(endpoints, recipients))).all():
        found[row.id] = {**row._mapping, "target": redact_urls(row.target)}
    latest = (
        select(
            func.coalesce(d.c.endpoint_id, d.c.recipient_id).label("id"),
            d.c.last_error,
            func.row_number()
            .over(
                partition_by=func.coalesce(d.c.endpoint_id, d.c.recipient_id),
                order_by=d.c.created_at.desc(),
            )
            .label("n"),
        )
        .where(
            d.c.last_error.is_not(None),
            or_(d.c.endpoint_id.in_(ids), d.c.recipient_id.in_(ids)),
        )
        .subquery()
    )
    for row in (await session.execute(select(latest).where(latest.c.n == 1))).all():
        found.setdefault(row.id, {})["last_error"] = redact_urls(row.last_error)
    return found
