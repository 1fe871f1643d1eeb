"""Audit checkpoints on `sosa.audit-checkpoints.v1`: what each prune of intake's audit log removed,
published outside the database so that `verify` can tell a prune from a deletion."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sosa.contracts.instants import Instant

CHECKPOINT: Final = "sosa.audit.pruned.v1"


class AuditCheckpoint(BaseModel):
    """One prune: the rows up to `pruned_through_seq` were removed, all older than `cutoff`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["sosa.audit.pruned.v1"] = CHECKPOINT
    event_id: str = Field(description="Unique id of this checkpoint (the CloudEvents id).")
    log: Literal["intake-audit"] = Field(
        default="intake-audit",
        description="The audit log pruned: the key (and subject) of every checkpoint, so that "
        "one partition holds them all, in order.",
    )
    pruned_through_seq: int = Field(ge=1, description="The last sequence number removed.")
    pruned_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="That row's hash: the chain left in the database starts from it."
    )
    pruned_through_at: Instant = Field(description="That row's time.")
    cutoff: Instant = Field(description="Rows older than this were removed.")
    retention_days: int = Field(ge=1, description="The retention period the cutoff respected.")
    published_at: Instant
