"""Who is calling: the authenticated party (`sosa.infra.auth`: an API key issued through intake,
the bootstrap operator key, or a JWT), and what it may see here.

Every party manages its own subscriptions and reads its own delivery log and stream; operators
see and manage every party's. Another party's endpoint, recipient or delivery answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sosa.infra import auth
from sosa.notifier.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Caller:
    party_id: str
    operator: bool

    def sees(self, party_id: str) -> bool:
        return self.operator or party_id == self.party_id

    def acting_for(self, party_id: str | None) -> str:
        """The party a subscription is made for: the caller itself, or any party for operators."""
        wanted = party_id or self.party_id
        if not self.sees(wanted):
            raise HTTPException(403, f"party {self.party_id} cannot act for party {wanted}")
        return wanted


def runtime(request: Request) -> Runtime:
    state_runtime: Runtime = request.app.state.runtime
    return state_runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def caller(authenticated: auth.CallerDep) -> Caller:
    return Caller(party_id=authenticated.party_id, operator=authenticated.operator)


CallerDep = Annotated[Caller, Depends(caller)]
