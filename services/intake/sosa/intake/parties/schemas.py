"""HTTP shapes of parties and API keys (operators' API), and of `GET /v1/me`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from sosa.contracts.parties import PartyKind, Role
from sosa.contracts.requests import CountryCode, PartyId, ShortText, Strict

Roles = Annotated[list[Role], Field(min_length=1, max_length=6)]
TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Attributes(Strict):
    """What the party is: the facts the rules use about it. Intake checks every request body
    against them and fills what a body leaves out (docs/security.md, "Party attributes")."""

    kind: PartyKind | None = Field(
        default=None,
        description="us_dod, partner_ministry, us_supplier, partner_supplier, "
        "determination_authority, rating_authority, partner_liaison or operator.",
    )
    country: CountryCode | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2: US for US kinds (the default for them); a SOSA partner "
        "for partner ministries, suppliers and liaisons.",
    )
    timezone: TimeZone | None = Field(
        default=None, description="Suppliers only: the IANA time zone the response clock uses."
    )
    code_of_conduct_signatory: bool | None = Field(
        default=None, description="Partner suppliers only: signed their country's Code of Conduct."
    )


class PartyIn(Attributes):
    party_id: PartyId
    name: ShortText
    roles: Roles


class PartyPatch(Attributes):
    """null (or absent) leaves a field as it is; attributes once set can be changed, not unset."""

    name: ShortText | None = None
    roles: Roles | None = None
    disabled: bool | None = Field(
        default=None, description="true: every credential of the party stops working."
    )


class KeyIn(Strict):
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class KeyOut(BaseModel):
    key_id: str
    label: str | None
    created_at: AwareDatetime
    revoked_at: AwareDatetime | None


class KeyIssued(KeyOut):
    party_id: str
    api_key: str = Field(description="The key itself: shown only in this answer, never again.")


class PartyOut(BaseModel):
    party_id: str
    name: str
    roles: list[Role]
    disabled: bool
    kind: PartyKind | None = Field(description="null: not set yet; see docs/security.md.")
    country: str | None
    timezone: str | None
    code_of_conduct_signatory: bool | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    api_keys: list[KeyOut]


class PartyPage(BaseModel):
    items: list[PartyOut]
    next_after: str | None = Field(description="Pass as `after` for the next page.")


class Me(BaseModel):
    party_id: str
    roles: list[Role]
    via: str = Field(description="api_key, bearer or bootstrap.")
