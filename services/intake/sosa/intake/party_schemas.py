"""HTTP shapes of parties and API keys (operators' API), and of `GET /v1/me`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from sosa.contracts.parties import Role
from sosa.contracts.requests import PartyId, ShortText, Strict

Roles = Annotated[list[Role], Field(min_length=1, max_length=6)]


class PartyIn(Strict):
    party_id: PartyId
    name: ShortText
    roles: Roles


class PartyPatch(Strict):
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
