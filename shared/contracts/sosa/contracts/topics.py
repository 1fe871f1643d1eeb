"""Kafka topic names: the only place they are spelled."""

from __future__ import annotations

from typing import Final

REQUESTS: Final = "sosa.requests.v1"
"""Commands from intake to the router (submit, respond, amend, cancel, determine, authorize)."""

OUTCOMES: Final = "sosa.outcomes.v1"
"""One event per state change of a request, from the router to everyone else."""

DELIVERIES: Final = "sosa.deliveries.v1"
"""The result of every notification attempt, from the notifier to the operators' tool
(`sosa timeline`: who was told what about a request, and how it went)."""

PARTIES: Final = "sosa.parties.v1"
"""Compacted: each party's roles and API-key hashes (never keys), from intake to the notifier."""

AUDIT_CHECKPOINTS: Final = "sosa.audit-checkpoints.v1"
"""Kept forever: what each prune of intake's audit log removed (sosa.intake.audit)."""

COMPACTED: Final = (PARTIES,)
"""Topics that keep only the latest record of each key."""

KEPT_FOREVER: Final = (AUDIT_CHECKPOINTS,)
"""Topics whose records never expire (retention.ms=-1)."""


def dead_letter(topic: str) -> str:
    """Name of the dead-letter topic for messages of `topic` that cannot be processed."""
    return f"{topic}.dlq"


ALL: Final = (
    REQUESTS,
    OUTCOMES,
    DELIVERIES,
    PARTIES,
    AUDIT_CHECKPOINTS,
    dead_letter(REQUESTS),
    dead_letter(OUTCOMES),
    dead_letter(PARTIES),
)
