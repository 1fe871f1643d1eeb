"""Sending one e-mail attempt over SMTP (aiosmtplib): 250 is delivered, 5xx is permanent."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import aiosmtplib

from sosa.notifier import email_message
from sosa.notifier.attempts import AttemptResult
from sosa.notifier.settings import NotifierSettings


class EmailSender:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings
        # one SMTP relay serves every recipient: its own limit, apart from the endpoints'
        self._slots = asyncio.Semaphore(settings.email_concurrency)

    async def send(
        self, *, to: str, message_id: str, body: dict[str, Any], now: datetime
    ) -> AttemptResult:
        s = self._settings
        if not s.smtp_host:
            return AttemptResult(None, 0, "no SMTP server configured (SOSA_SMTP_HOST)")
        mail = email_message.render(
            body, message_id=message_id, sender=s.smtp_from, to=to, sent_at=now
        )
        started = time.perf_counter()
        try:
            async with self._slots:
                _, reply = await aiosmtplib.send(
                    mail,
                    hostname=s.smtp_host,
                    port=s.smtp_port,
                    username=s.smtp_username or None,
                    password=s.smtp_password or None,
                    use_tls=s.smtp_tls,
                    start_tls=True if s.smtp_starttls else None,
                    timeout=s.smtp_timeout_s,
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return _refused(min(codes, default=550), str(exc), started)
        except aiosmtplib.SMTPResponseException as exc:
            return _refused(exc.code, exc.message, started)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return AttemptResult(None, _ms_since(started), f"SMTP: {type(exc).__name__}: {exc}")
        return AttemptResult(250, _ms_since(started), None, reply[:500] or None)


def _refused(code: int, text: str, started: float) -> AttemptResult:
    return AttemptResult(
        code, _ms_since(started), f"SMTP {code}: {text}"[:500], permanent=500 <= code < 600
    )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
