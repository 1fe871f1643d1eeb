"""The router's record of each request: its rule facts, its event sequence, what was submitted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sosa import rules
from sosa.contracts.outcomes import DecisionRecord
from sosa.decisions import facts_json
from sosa.router import tables


@dataclass(frozen=True, slots=True)
class RequestRecord:
    request_id: str
    facts: rules.RequestFacts
    sequence: int
    details: dict[str, Any]
    last_decision: DecisionRecord


async def load(session: AsyncSession, request_id: str) -> RequestRecord | None:
    row = (
        await session.execute(
            select(tables.requests).where(tables.requests.c.request_id == request_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return RequestRecord(
        request_id=row.request_id,
        facts=facts_json.load(row.facts),
        sequence=row.sequence,
        details=row.details,
        last_decision=DecisionRecord.model_validate(row.last_decision),
    )


async def insert(
    session: AsyncSession,
    record: RequestRecord,
    *,
    rating: str | None,
    received_at: datetime,
    now: datetime,
) -> None:
    await session.execute(
        tables.requests.insert().values(
            request_id=record.request_id,
            requester=record.facts.requester.party_id,
            supplier=record.facts.supplier.party_id,
            rating=rating,
            details=record.details,
            received_at=received_at,
            **_changing(record, now),
        )
    )


async def save(session: AsyncSession, record: RequestRecord, *, now: datetime) -> None:
    await session.execute(
        update(tables.requests)
        .where(tables.requests.c.request_id == record.request_id)
        .values(**_changing(record, now))
    )


def _changing(record: RequestRecord, now: datetime) -> dict[str, Any]:
    return {
        "state": str(record.facts.status),
        "path": str(record.facts.path),
        "deadline": record.facts.deadline,
        "sequence": record.sequence,
        "facts": facts_json.dump(record.facts),
        "last_decision": record.last_decision.model_dump(mode="json"),
        "updated_at": now,
    }
