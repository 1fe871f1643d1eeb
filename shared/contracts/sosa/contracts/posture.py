"""Posture of the arrangement (peacetime, emergency, armed conflict), on the wire: the event the
router publishes on `sosa.outcomes.v1` once a change is in force (the command an operator's change
becomes is `commands.SetPosture`)."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.instants import Instant

CHANGED: Final = "sosa.posture.changed.v1"
GLOBAL: Final = "global"

PostureName = Literal["peacetime", "emergency", "armed_conflict"]
Scope = Annotated[str, StringConstraints(pattern=r"^(global|[A-Z]{2})$")]
"""`global`, or a partner's ISO 3166-1 alpha-2 country code."""


def subject(scope: str) -> str:
    """The `request_id` (and so the key) of a `SetPosture` command: one scope's changes stay in
    order. The `PostureChanged` event is keyed by the scope itself."""
    return f"posture/{scope}"


class PostureChanged(BaseModel):
    """A posture is in force from `effective_at`: what it sets, and how many open requests had
    their reminders and early escalation planned again."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["sosa.posture.changed.v1"] = CHANGED
    event_id: str
    scope: Scope
    posture: PostureName
    previous: PostureName = Field(description="The scope's posture before (peacetime if none).")
    reason: str
    set_by: str
    effective_at: Instant
    settings: dict[str, Any] = Field(description="What the posture sets (postures.json values).")
    replanned: int = Field(ge=0, description="Open requests whose reminders were re-planned.")
    caused_by: str
    occurred_at: Instant
