"""The e-mail form of a message: plain text and HTML alternatives of the same facts (pure)."""

from __future__ import annotations

import html
import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

_SUBJECTS = {
    "request.routed": "Priority request routed to you",
    "request.reminder": "Reminder: a response is due",
    "request.escalated": "Escalation: a response deadline has passed",
    "request.command_refused": "Your command was refused",
}


def subject(event_type: str, data: dict[str, Any]) -> str:
    what = _SUBJECTS.get(event_type, event_type.replace(".", " ").replace("_", " "))
    request = data.get("request_id")
    decision = data.get("decision") or {}
    # the day the supplier reads (its own zone, with the offset), UTC beside it
    deadline = decision.get("deadline_local") or decision.get("deadline")
    if deadline and decision.get("deadline_local") and decision.get("deadline"):
        deadline = f"{decision['deadline_local']} ({decision['deadline']} UTC)"
    parts = [f"[sosa] {what}"]
    if request:
        parts.append(f"request {request}")
    if deadline:
        parts.append(f"due {deadline}")
    return " · ".join(parts)


def lines(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten `data` into (dotted name, readable value) pairs, in the message's order."""
    found: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            found.extend(lines(value, f"{name}."))
        elif value not in (None, [], {}):
            found.append((name, value if isinstance(value, str) else json.dumps(value)))
    return found


def render(
    body: dict[str, Any], *, message_id: str, sender: str, to: str, sent_at: datetime
) -> EmailMessage:
    """An e-mail carrying the message `body` (`{type, timestamp, data}`) to one address."""
    data: dict[str, Any] = body["data"]
    pairs = lines(data)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject(body["type"], data)
    # stable across retries, so mail systems de-duplicate as receivers do on `webhook-id`
    mail["Message-ID"] = f"<{message_id}@sosa.notifier>"
    mail["Date"] = format_datetime(sent_at)
    mail["Sosa-Message-Id"] = message_id
    mail["Sosa-Event-Type"] = body["type"]
    text = [f"{body['type']} at {body['timestamp']}", ""]
    text += [f"{name}: {value}" for name, value in pairs]
    text += ["", "Webhook id (de-duplicate on it): " + message_id]
    mail.set_content("\n".join(text))
    rows = "".join(
        f"<tr><th align='left'>{html.escape(n)}</th><td>{html.escape(v)}</td></tr>"
        for n, v in pairs
    )
    mail.add_alternative(
        f"<html><body><h2>{html.escape(body['type'])}</h2>"
        f"<p>{html.escape(str(body['timestamp']))}</p><table>{rows}</table>"
        f"<p><small>Webhook id: {html.escape(message_id)}</small></p></body></html>",
        subtype="html",
    )
    return mail
