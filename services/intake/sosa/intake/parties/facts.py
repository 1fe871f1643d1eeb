"""Facts about parties come from the registry, not from a body (#23).

At submission intake reads the registry's attributes of the requester and the supplier, refuses
a body that contradicts them and fills what the body leaves out; the command carries the filled
details and the registry's facts (`RegisteredFacts`), from which alone the rules open a path.
Every other command is refused when its acting party is registered as something that may not
give it. The policy for a party whose attributes no operator has set yet:

- as requester: refused (403 naming `requester.kind`), so a self-declared kind never reaches
  the rules; the dry run answers with the rules' PATH_REQUESTER_KIND_UNREGISTERED instead;
- as an authority (determination, authorization, a change or cancellation as Commerce):
  refused (403 naming the acting field);
- as supplier (named in a request, or answering) or as requester amending or cancelling its
  own request: allowed, the body's facts about it standing; they open no path by themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sosa.contracts import commands
from sosa.contracts.involvement import acting
from sosa.contracts.parties import (
    REQUESTER_KINDS,
    SUPPLIER_KINDS,
    PartyAttributes,
    PartyKind,
    Role,
)
from sosa.contracts.requests import (
    DEFAULT_SUPPLIER_TIMEZONE,
    PriorityRequestDetails,
    RequesterKind,
)
from sosa.infra.auth import Caller
from sosa.intake import tables
from sosa.intake.parties.attributes import attributes_of

_parties = tables.parties
Registry = dict[str, PartyAttributes | None]
Sees = Callable[[str], bool]
"""Whether the caller may read a party's registered attributes: that party itself, or an
operator (the registry's own API is for operators only). A refusal names a registered value
only to such a caller; to anyone else it says only that the body contradicts the registry."""


def hidden(_party_id: str) -> bool:
    """`Sees` for a caller who may read no party's attributes."""
    return False


def seen_by(caller: Caller) -> Sees:
    """`Sees` for an authenticated caller: its own attributes, or every party's for operators."""
    return lambda party_id: caller.operator or party_id == caller.party_id


def _contradicts(party: str, known: str, sees: Sees) -> str:
    """The reason for a body's field that contradicts the registry; `known` names the registered
    value and is said only to a caller who may read it."""
    if sees(party):
        return known
    return f"contradicts what the party registry holds for {party} (shown to it and to operators)"


class FactsForbidden(HTTPException):
    """403: the body claims for its acting party what the registry does not give it; `errors`
    name the fields (rendered in the problem document by `sosa.infra.problems`)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(403, "; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.errors = errors


async def registry_of(session: AsyncSession, party_ids: Iterable[str]) -> Registry:
    """The registry's attributes of each party (None: not registered, or no attributes yet)."""
    ids = sorted(set(party_ids))
    rows = (await session.execute(select(_parties).where(_parties.c.party_id.in_(ids)))).all()
    found = {row.party_id: attributes_of(row) for row in rows}
    return {party_id: found.get(party_id) for party_id in ids}


def _forbidden(field: str, reason: str) -> dict[str, str]:
    return {"field": field, "reason": reason}


def _invalid(field: str, reason: str) -> dict[str, Any]:
    return {"loc": ("body", *field.split(".")), "msg": reason, "type": "value_error"}


def _unset(party_id: str) -> str:
    return (
        f"party {party_id} has no registered kind and country: an operator must set them "
        f"(PATCH /v1/parties/{party_id} with kind and country) before it submits requests"
    )


def resolve_submission(
    details: PriorityRequestDetails,
    registry: Registry,
    *,
    sees: Sees = hidden,
    dry_run: bool = False,
) -> tuple[PriorityRequestDetails, commands.RegisteredFacts | None]:
    """The details with the parties' facts filled from the registry, and the registry's facts.

    FactsForbidden (403) when the body's requester facts contradict the registry, or the
    requester has none (except in a dry run: its body's facts then go to the rules unregistered,
    which open no path); RequestValidationError (422) when the body contradicts the registry
    about the supplier or leaves out a fact nothing can fill. A refusal names a registered
    value only where `sees` allows it."""
    requester = registry.get(details.requester.party_id)
    supplier = registry.get(details.supplier.party_id)
    forbidden = _requester_problems(details, requester, sees, dry_run=dry_run)
    if forbidden:
        raise FactsForbidden(forbidden)
    invalid = _supplier_problems(details, supplier, sees)
    stated = details.requester
    if requester is None:  # a dry run for an unregistered requester: its statement, marked so
        invalid += [
            _invalid(f"requester.{f}", "required: the party has no registered attributes")
            for f in ("kind", "country")
            if getattr(stated, f) is None
        ]
    if invalid:
        raise RequestValidationError(invalid)
    filled_requester = stated
    if requester is not None:
        filled_requester = stated.model_copy(
            update={"kind": RequesterKind(str(requester.kind)), "country": requester.country}
        )
    filled = details.model_copy(
        update={"requester": filled_requester, "supplier": _filled_supplier(details, supplier)}
    )
    registered = (
        commands.RegisteredFacts(requester=requester, supplier=supplier) if requester else None
    )
    return filled, registered


def _requester_problems(
    details: PriorityRequestDetails,
    registered: PartyAttributes | None,
    sees: Sees,
    *,
    dry_run: bool,
) -> list[dict[str, str]]:
    stated, party = details.requester, details.requester.party_id
    if registered is None:
        return [] if dry_run else [_forbidden("requester.kind", _unset(party))]
    if registered.kind not in REQUESTER_KINDS:
        return [
            _forbidden(
                "requester.kind",
                _contradicts(party, f"{party} is registered as {registered.kind}", sees)
                + ": only a US DoD component or a partner ministry submits requests",
            )
        ]
    problems = []
    if stated.kind is not None and stated.kind.value != registered.kind.value:
        problems.append(
            _forbidden(
                "requester.kind",
                _contradicts(
                    party,
                    f"{party} is registered as {registered.kind}, not {stated.kind.value}",
                    sees,
                ),
            )
        )
    if stated.country is not None and stated.country != registered.country:
        problems.append(
            _forbidden(
                "requester.country",
                _contradicts(
                    party,
                    f"{party} is registered in {registered.country}, not {stated.country}",
                    sees,
                ),
            )
        )
    return problems


def _supplier_problems(
    details: PriorityRequestDetails, registered: PartyAttributes | None, sees: Sees
) -> list[dict[str, Any]]:
    stated, party = details.supplier, details.supplier.party_id
    if registered is None:
        if stated.country is None:
            reason = f"required: {party} has no registered country"
            return [_invalid("supplier.country", reason)]
        return []
    if registered.kind not in SUPPLIER_KINDS:
        kind = f"{party} is registered as {registered.kind}, not as a supplier"
        return [_invalid("supplier.party_id", _contradicts(party, kind, sees))]
    problems = []
    for field, said, known in (
        ("country", stated.country, registered.country),
        ("timezone", stated.timezone, registered.timezone),
        (
            "code_of_conduct_signatory",
            stated.code_of_conduct_signatory,
            registered.code_of_conduct_signatory,
        ),
    ):
        if said is not None and known is not None and said != known:
            problems.append(
                _invalid(
                    f"supplier.{field}",
                    _contradicts(party, f"{party} is registered with {field} {known!r}", sees)
                    + "; leave it out and the registry's value is used",
                )
            )
    return problems


def _filled_supplier(details: PriorityRequestDetails, registered: PartyAttributes | None) -> Any:
    stated = details.supplier
    if registered is None:
        return stated.model_copy(update={"timezone": stated.timezone or DEFAULT_SUPPLIER_TIMEZONE})
    signatory = registered.code_of_conduct_signatory
    return stated.model_copy(
        update={
            "country": registered.country or stated.country,
            "timezone": registered.timezone or stated.timezone or DEFAULT_SUPPLIER_TIMEZONE,
            "code_of_conduct_signatory": stated.code_of_conduct_signatory
            if signatory is None
            else signatory,
        }
    )


_KINDS_OF_ROLE: Final[dict[Role, tuple[frozenset[PartyKind], bool]]] = {
    Role.SUPPLIER: (SUPPLIER_KINDS, True),
    Role.REQUESTER: (REQUESTER_KINDS, True),
    Role.RATING_AUTHORITY: (frozenset({PartyKind.RATING_AUTHORITY}), False),
    Role.DETERMINATION_AUTHORITY: (frozenset({PartyKind.DETERMINATION_AUTHORITY}), False),
}
"""The registered kinds that may act in each role, and whether a party without attributes may."""


def _acting(command: object) -> tuple[str, str, frozenset[PartyKind], bool] | None:
    """For a command after submission: the acting field, its party (`involvement.acting`), the
    kinds that may give it, and whether a party without attributes may give it."""
    found = acting(command)
    if found is None:
        return None
    kinds, unset_allowed = _KINDS_OF_ROLE[found.role]
    return found.field, found.party_id, kinds, unset_allowed


def acting_party(command: object) -> str | None:
    """The party a command after submission names as acting."""
    acting = _acting(command)
    return acting[1] if acting else None


def check_acting(command: object, registry: Registry) -> None:
    """403 naming the acting field when the registry says its party may not give `command`."""
    acting = _acting(command)
    if acting is None:
        return
    field, party, kinds, unset_allowed = acting
    registered = registry.get(party)
    if registered is None:
        if unset_allowed:
            return
        reason = (
            f"{party} has no registered kind: an operator must set it "
            f"(PATCH /v1/parties/{party}) before it acts as {' or '.join(sorted(kinds))}"
        )
        raise FactsForbidden([_forbidden(field, reason)])
    if registered.kind not in kinds:
        reason = f"{party} is registered as {registered.kind}, not {' or '.join(sorted(kinds))}"
        raise FactsForbidden([_forbidden(field, reason)])
