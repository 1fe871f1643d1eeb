"""What is overdue or due soon, asked of intake's read API (the router's tables are its own).

Two lists, merged: every request in state `overdue`, and every `routed` request (awaiting the
supplier's answer) whose deadline falls before the end of the `within`-th working day from
`at`. Working days follow the US federal calendar in US Eastern time, the calendar of the DPAS
response clocks; for a voluntary request's target it is a close reading, not the partner's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from sosa.contracts.local_times import local_time, supplier_zone
from sosa.contracts.requests import DEFAULT_SUPPLIER_TIMEZONE
from sosa.rules import WorkingCalendar, end_of_working_day

ZONE = ZoneInfo("America/New_York")
CALENDAR = WorkingCalendar.us_federal()
_PAGE = 200


@dataclass(frozen=True, slots=True)
class Standing:
    request_id: str
    state: str
    deadline: datetime | None
    supplier: str
    requester: str
    working_days: int
    """Working days left (>= 0) before the deadline, or working days past it (< 0 when late)."""
    late: bool
    remaining: timedelta
    """Deadline minus `at`: negative once the deadline has passed."""
    zone: str = DEFAULT_SUPPLIER_TIMEZONE
    """The supplier's time zone: the deadline is shown there first, UTC beside it."""

    @property
    def deadline_local(self) -> str | None:
        return local_time(self.deadline, self.zone)

    def due(self) -> str:
        if self.deadline is None:
            return "no deadline"
        hours = abs(self.remaining.total_seconds()) / 3600
        if self.late:
            return f"overdue by {-self.working_days} working day(s) ({hours:.0f}h)"
        return f"{self.working_days} working day(s) left ({hours:.0f}h)"

    def line(self) -> str:
        deadline = f"{self.deadline_local} ({_instant(self.deadline)})" if self.deadline else "-"
        return (
            f"{self.request_id}  {self.state:<8}  deadline={deadline}  {self.due()}  "
            f"supplier={self.supplier}  requester={self.requester}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "state": self.state,
            "deadline": _instant(self.deadline) if self.deadline else None,
            "deadline_local": self.deadline_local,
            "supplier_timezone": self.zone,
            "late": self.late,
            "working_days": self.working_days,
            "remaining_s": int(self.remaining.total_seconds()),
            "supplier": self.supplier,
            "requester": self.requester,
        }


def working_days_between(start: date, end: date, calendar: WorkingCalendar = CALENDAR) -> int:
    """Working days d with start < d <= end; negative (counted the other way) when end < start."""
    if end < start:
        return -working_days_between(end, start, calendar)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


def horizon(at: datetime, within: int, calendar: WorkingCalendar = CALENDAR) -> datetime:
    """The end of the `within`-th working day after `at`'s day (day 0), Eastern time."""
    return end_of_working_day(at, within, zone=ZONE, calendar=calendar) + timedelta(seconds=1)


def standing(item: dict[str, Any], at: datetime) -> Standing:
    """Where one listed request (intake's RequestSummary) stands at `at`."""
    raw = item.get("deadline")
    deadline = datetime.fromisoformat(raw) if raw else None
    remaining = (deadline - at) if deadline else timedelta()
    late = item["state"] == "overdue" or (deadline is not None and deadline <= at)
    days = (
        working_days_between(at.astimezone(ZONE).date(), deadline.astimezone(ZONE).date())
        if deadline
        else 0
    )
    if late:
        days = min(days, 0)
    return Standing(
        request_id=item["request_id"],
        state=item["state"],
        deadline=deadline,
        supplier=item.get("supplier", ""),
        requester=item.get("requester", ""),
        working_days=days,
        late=late,
        remaining=remaining,
        zone=supplier_zone({"supplier": {"timezone": item.get("supplier_timezone")}}),
    )


def ranked(items: list[dict[str, Any]], at: datetime) -> list[Standing]:
    """Each request once, the latest deadline last (no deadline: last of all)."""
    unique = {item["request_id"]: item for item in items}
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        (standing(item, at) for item in unique.values()),
        key=lambda s: (s.deadline or far, s.request_id),
    )


async def fetch(
    intake_url: str, api_key: str, *, at: datetime, within: int, timeout_s: float = 10
) -> list[Standing]:
    """Overdue requests and routed ones due within `within` working days, from intake."""
    async with httpx.AsyncClient(
        base_url=intake_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout_s
    ) as client:
        items = await _all(client, {"state": "overdue"})
        due_before = horizon(at, within).astimezone(UTC).isoformat()
        items += await _all(client, {"state": "routed", "due_before": due_before})
    return ranked(items, at)


async def _all(client: httpx.AsyncClient, params: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(_PAGE), **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/priority-requests", params=query)
        response.raise_for_status()
        page = response.json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
