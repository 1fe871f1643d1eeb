"""Alerts for operators, delivered like any other message: to the operator parties' streams,
endpoints and e-mail (`operator.endpoint_disabled`, `operator.delivery_escalated`,
`operator.delivery_failed`). Never raised about an operator alert itself, so alerts cannot loop."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sosa.notifier import deliveries
from sosa.notifier.messages import Message
from sosa.notifier.settings import NotifierSettings

_NOTICE_NAMESPACE = uuid.UUID("3b8f1f8e-6c3a-4f43-9d61-0c2f7e1a5b77")
PREFIX = "operator."


def is_notice(event_type: str) -> bool:
    return event_type.startswith(PREFIX)


async def notify_operators(
    session: AsyncSession,
    settings: NotifierSettings,
    *,
    kind: str,
    key: str,
    data: dict[str, Any],
    now: datetime,
    request_id: str | None = None,
) -> int:
    """Tell every operator party; `key` makes the alert's id, so one cause alerts once."""
    message = Message(
        message_id=str(uuid.uuid5(_NOTICE_NAMESPACE, f"{kind}/{key}")),
        event_type=f"{PREFIX}{kind}",
        request_id=request_id,
        occurred_at=now,
        role="operator",
        data=data,
        fields=sorted(data),
    )
    written = await deliveries.distribute(
        session,
        [(party, message) for party in settings.operator_parties],
        now=now,
        escalation_margin=timedelta(seconds=settings.escalation_margin_s),
    )
    return written.created
