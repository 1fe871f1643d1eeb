"""The filters of the request list, parsed from query parameters (pure: no I/O)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sosa.contracts.states import RequestState, RoutePath
from sosa.intake.views.ratings import is_level, stored_rating


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilters:
    """Every filter is optional; given ones must all hold. Several states or paths: any of them."""

    states: tuple[RequestState, ...] = ()
    paths: tuple[RoutePath, ...] = ()
    supplier: str | None = None
    requester: str | None = None
    rating: str | None = None
    """One rating, normalised (DO-A3)."""
    rating_level: str | None = None
    """A level (DO or DX): every rating of that level."""
    due_before: datetime | None = None
    """Only requests whose answer is due before this instant."""

    def key(self) -> str:
        """A short fingerprint of the filters; a cursor carries it to stay with its query."""
        canonical = {
            **asdict(self),
            "states": sorted(self.states),
            "paths": sorted(self.paths),
            "due_before": self.due_before.timestamp() if self.due_before else None,
        }
        digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode())
        return digest.hexdigest()[:16]


def rating_filter(text: str) -> tuple[str | None, str | None]:
    """(rating, level) from the `rating` parameter: `DO`/`DX` is a level, `DO-A3` (or `doa3`)
    one rating. ValueError for anything else."""
    if is_level(text):
        return None, text.strip().upper()
    parsed = stored_rating(text)
    if parsed.level is None:
        raise ValueError("a level (DO or DX) or a rating such as DO-A3 or DX-A1")
    return parsed.text, None
