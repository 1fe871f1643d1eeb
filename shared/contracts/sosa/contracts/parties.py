"""Parties and their credentials on the compacted `sosa.parties.v1` topic: intake → notifier.

Intake owns parties and API keys (operators create them through its API). Each change publishes
the party's whole record, keyed by party id, so compaction keeps only the latest and a new reader
learns every party by reading the topic from the start. A record carries the HASHES of the
party's API keys, never a key: a reader can check a key it is shown, never make one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sosa.contracts.instants import Instant

PARTY: Final = "sosa.party.v1"


class Role(StrEnum):
    """What a party may do (DESIGN.md §2). A party may hold several roles."""

    REQUESTER = "requester"
    """A requesting authority: a DoD program office, a partner ministry."""
    DETERMINATION_AUTHORITY = "determination_authority"
    """DoD (Industrial Base Policy): determines a partner's program."""
    RATING_AUTHORITY = "rating_authority"
    """Commerce/BIS: authorizes a DO/DX rating; may amend or cancel as Commerce."""
    SUPPLIER = "supplier"
    PARTNER_LIAISON = "partner_liaison"
    OPERATOR = "operator"
    """The exchange's own staff: sees everything, manages parties and credentials."""


class CredentialRecord(BaseModel):
    """One API key of a party: its public id and the keyed hash of the key."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key_id: str
    key_hash: str = Field(description="`hmac-sha256:<hex>` of the whole key; never the key.")
    created_at: Instant
    revoked_at: Instant | None = None


class PartyRecord(BaseModel):
    """The whole current record of one party."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["sosa.party.v1"] = PARTY
    party_id: str
    name: str
    roles: list[Role]
    disabled: bool = False
    credentials: list[CredentialRecord] = Field(default_factory=list)
    updated_at: Instant
