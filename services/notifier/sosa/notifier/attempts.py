"""The result of one attempt, however it was made (webhook or e-mail), and what it means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    latency_ms: int
    error: str | None = None
    response_excerpt: str | None = None
    retry_after_s: float | None = None
    permanent: bool = False
    """The channel said it will never accept this message (410 Gone, SMTP 5xx): no retry."""
    disable: str | None = None
    """Why the endpoint must be disabled now: `gone` (410) or `receiver_asked`."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error

    def describe(self) -> str:
        """What went wrong, in one line, for the delivery row and the operators."""
        if self.error:
            return self.error
        return f"HTTP {self.status_code}" if self.status_code else "no answer"


def retry_after_s(value: str | None, *, now: datetime, cap_s: float) -> float | None:
    """Seconds a receiver asks us to wait (`Retry-After`: delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(0.0, seconds), cap_s)
