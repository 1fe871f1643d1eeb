"""Time is always an argument: the instants passed in must be timezone-aware."""

from __future__ import annotations

from datetime import datetime


def require_aware(instant: datetime, name: str = "now") -> datetime:
    """Return `instant`, or raise ValueError when it is naive."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant
