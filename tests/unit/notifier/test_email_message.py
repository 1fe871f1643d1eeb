"""The e-mail form of a message: plain text and HTML, stable ids, escaped content."""

from __future__ import annotations

from datetime import UTC, datetime

from sosa.notifier.email_message import render

BODY = {
    "type": "request.routed",
    "timestamp": "2026-11-25T12:00:00+00:00",
    "data": {
        "request_id": "r1",
        "decision": {"deadline": "2026-12-09T12:00:00+00:00", "findings": [{"x": "<b>"}]},
    },
}


def test_plain_and_html_carry_the_same_facts() -> None:
    mail = render(
        BODY, message_id="evt-1", sender="s@x.example", to="t@y.example", sent_at=datetime.now(UTC)
    )
    assert mail["Message-ID"] == "<evt-1@sosa.notifier>"
    assert "r1" in mail["Subject"]
    assert "due 2026-12-09" in mail["Subject"]
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert "decision.deadline: 2026-12-09T12:00:00+00:00" in plain.get_content()
    assert "&lt;b&gt;" in html.get_content()
