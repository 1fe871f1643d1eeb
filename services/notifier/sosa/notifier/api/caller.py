"""Who is calling: the one place a later authentication dependency (API key or JWT bound to a
party) replaces. Until then the caller names itself with the `Sosa-Party` header, or the
`party_id` query parameter where headers cannot be set (a browser's EventSource)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request

from sosa.notifier.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Caller:
    party_id: str | None
    """None: an unnamed caller, answered as an operator while `notifier_require_party` is off."""
    operator: bool

    def sees(self, party_id: str) -> bool:
        return self.operator or party_id == self.party_id

    def acting_for(self, party_id: str | None) -> str:
        """The party a subscription is made for: the caller itself, or any party for operators."""
        wanted = party_id or self.party_id
        if wanted is None:
            raise HTTPException(422, "name the party: the Sosa-Party header or party_id")
        if not self.sees(wanted):
            raise HTTPException(403, f"party {self.party_id} cannot act for party {wanted}")
        return wanted


def runtime(request: Request) -> Runtime:
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def caller(
    rt: RuntimeDep,
    sosa_party: Annotated[str | None, Header(alias="Sosa-Party", max_length=128)] = None,
    party_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Caller:
    name = sosa_party or party_id
    if name:
        return Caller(party_id=name, operator=name in rt.settings.operator_parties)
    if rt.settings.notifier_require_party:
        raise HTTPException(401, "identify the calling party with the Sosa-Party header")
    return Caller(party_id=None, operator=True)


CallerDep = Annotated[Caller, Depends(caller)]
