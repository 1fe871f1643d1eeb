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
    """What a party may do (docs/architecture.md, "Parties and roles"; docs/security.md). A party
    may hold several roles."""

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


class PartyKind(StrEnum):
    """What a party is, as the rules need to know it (set by operators, never by the party).

    The rules decide a request's path from its requester's kind and country and its supplier's
    country (`sosa.rules.paths`), so these come from the registry, not from a request's body.
    """

    US_DOD = "us_dod"
    """A US DoD component: places DPAS rated orders (15 CFR 700.13(a)); country US."""
    PARTNER_MINISTRY = "partner_ministry"
    """A SOSA partner's defence ministry: requests through DoD and Commerce (15 CFR 700.57(a))."""
    US_SUPPLIER = "us_supplier"
    """A US firm: answers rated orders under 15 CFR 700.13; country US."""
    PARTNER_SUPPLIER = "partner_supplier"
    """A firm in a SOSA partner country: answers voluntarily under its Code of Conduct."""
    DETERMINATION_AUTHORITY = "determination_authority"
    """DoD's program determination on partner requests; country US."""
    RATING_AUTHORITY = "rating_authority"
    """Commerce/BIS: authorizes ratings (15 CFR 700.51, 700.57(a)); country US."""
    PARTNER_LIAISON = "partner_liaison"
    """A partner ministry's security-of-supply office that relays US requests to its firms."""
    OPERATOR = "operator"
    """The exchange's own staff."""


REQUESTER_KINDS: Final = frozenset({PartyKind.US_DOD, PartyKind.PARTNER_MINISTRY})
SUPPLIER_KINDS: Final = frozenset({PartyKind.US_SUPPLIER, PartyKind.PARTNER_SUPPLIER})
US_KINDS: Final = frozenset(
    {
        PartyKind.US_DOD,
        PartyKind.US_SUPPLIER,
        PartyKind.DETERMINATION_AUTHORITY,
        PartyKind.RATING_AUTHORITY,
    }
)
"""Kinds whose country can only be US."""
PARTNER_KINDS: Final = frozenset(
    {PartyKind.PARTNER_MINISTRY, PartyKind.PARTNER_SUPPLIER, PartyKind.PARTNER_LIAISON}
)
"""Kinds whose country must be a SOSA partner the rules know."""


class PartyAttributes(BaseModel):
    """What the registry says a party is: the facts the rules use about it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: PartyKind
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    timezone: str | None = Field(default=None, description="Suppliers: an IANA time zone.")
    code_of_conduct_signatory: bool | None = Field(
        default=None, description="Partner suppliers: signed their country's Code of Conduct."
    )


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
    kind: PartyKind | None = Field(
        default=None, description="What the party is (set by operators); null: not set yet."
    )
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2; null: not set.")
    timezone: str | None = Field(default=None, description="Suppliers: IANA time zone.")
    code_of_conduct_signatory: bool | None = Field(
        default=None, description="Partner suppliers: Code-of-Conduct signatory; null: unknown."
    )
