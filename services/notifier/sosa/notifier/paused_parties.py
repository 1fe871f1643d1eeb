"""Deliveries to a disabled party are paused: kept pending, neither attempted nor escalated, and
never given up on for it; they resume, due at once, when the party is enabled again.

The notifier learns that a party is disabled or enabled from its copy of `sosa.parties.v1`
(`sosa.notifier.party_copy`). A party it has no copy of (known only to a token's issuer) is not
paused. An attempt already under way when the party is disabled finishes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists

from sosa.notifier import tables

_parties = tables.parties


def party_not_disabled(party_id: Any) -> ColumnElement[bool]:
    """True for a row whose party (the column `party_id`) is not a disabled one."""
    return ~exists().where(_parties.c.party_id == party_id, _parties.c.disabled.is_(True))
