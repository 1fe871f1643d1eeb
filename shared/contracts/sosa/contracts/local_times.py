"""Times for people: a deadline as the supplier reads it, in its own zone with the offset
(`2026-12-28T23:59:59-05:00`), beside the UTC value machines use (`2026-12-29T04:59:59Z`).

The zone is the supplier's registered IANA zone as the request carries it (`supplier.timezone`,
filled from the party registry at submission), else the exchange's default
(`DEFAULT_SUPPLIER_TIMEZONE`), the zone in which the router counted the deadline's day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sosa.contracts.requests import DEFAULT_SUPPLIER_TIMEZONE


def supplier_zone(details: Mapping[str, Any] | None) -> str:
    """The supplier's zone name from a request's details (as stored: JSON), or the default."""
    supplier = (details or {}).get("supplier") or {}
    zone = supplier.get("timezone") if isinstance(supplier, Mapping) else None
    return zone if isinstance(zone, str) and _known(zone) else DEFAULT_SUPPLIER_TIMEZONE


def local_time(instant: datetime | str | None, zone: str | None) -> str | None:
    """`instant` in `zone` (unknown or none: the default), ISO 8601 with its offset."""
    if instant is None:
        return None
    moment = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    name = zone if zone and _known(zone) else DEFAULT_SUPPLIER_TIMEZONE
    return moment.astimezone(ZoneInfo(name)).isoformat()


def _known(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
