"""Facts about parties from the registry, not the body (#23): each row a body, the registry and
what intake does with it (refuse naming the field, or fill)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError

from sosa.contracts import commands
from sosa.contracts.parties import PartyAttributes, PartyKind
from sosa.contracts.requests import PriorityRequestDetails
from sosa.infra.auth import Caller, Role
from sosa.intake.parties.attributes import AttributesError, checked
from sosa.intake.parties.facts import (
    FactsForbidden,
    Registry,
    check_acting,
    resolve_submission,
    seen_by,
)
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

K = PartyKind
DOD = PartyAttributes(kind=K.US_DOD, country="US")
INDIA = PartyAttributes(kind=K.PARTNER_MINISTRY, country="IN")
ACME = PartyAttributes(kind=K.US_SUPPLIER, country="US", timezone="America/Chicago")
BHARAT = PartyAttributes(
    kind=K.PARTNER_SUPPLIER, country="IN", timezone="Asia/Kolkata", code_of_conduct_signatory=True
)
BIS = PartyAttributes(kind=K.RATING_AUTHORITY, country="US")


def body(requester: dict[str, Any], supplier: dict[str, Any]) -> PriorityRequestDetails:
    return PriorityRequestDetails.model_validate(
        {
            **DPAS_REQUEST,
            "requester": {"party_id": "req", **requester},
            "supplier": {"party_id": "sup", "name": "Firm", **supplier},
        }
    )


REFUSED = [
    # (name, requester body, supplier body, registry, status, field)
    ("ministry-claims-dod", {"kind": "us_dod", "country": "US"}, {}, {"req": INDIA}, 403,
     "requester.kind"),
    ("ministry-claims-us", {"country": "US"}, {}, {"req": INDIA}, 403, "requester.country"),
    ("dod-claims-ministry", {"kind": "partner_ministry"}, {}, {"req": DOD}, 403,
     "requester.kind"),
    ("no-attributes", {"kind": "us_dod", "country": "US"}, {"country": "US"}, {"req": None},
     403, "requester.kind"),
    ("supplier-submits", {}, {}, {"req": ACME}, 403, "requester.kind"),
    ("supplier-elsewhere", {}, {"country": "IN"}, {"req": DOD, "sup": ACME}, 422,
     "supplier.country"),
    ("supplier-zone", {}, {"timezone": "Europe/Paris"}, {"req": DOD, "sup": ACME}, 422,
     "supplier.timezone"),
    ("signatory", {}, {"code_of_conduct_signatory": False}, {"req": DOD, "sup": BHARAT}, 422,
     "supplier.code_of_conduct_signatory"),
    ("authority-as-supplier", {}, {"country": "US"}, {"req": DOD, "sup": BIS}, 422,
     "supplier.party_id"),
    ("unknown-supplier-country", {}, {}, {"req": DOD}, 422, "supplier.country"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("requester", "supplier", "registry", "status", "field"),
    [r[1:] for r in REFUSED],
    ids=[r[0] for r in REFUSED],
)
def test_a_body_that_contradicts_the_registry_is_refused_naming_the_field(
    requester: dict[str, Any],
    supplier: dict[str, Any],
    registry: Registry,
    status: int,
    field: str,
) -> None:
    with pytest.raises((FactsForbidden, RequestValidationError)) as refused:
        resolve_submission(body(requester, supplier), registry)
    if isinstance(refused.value, FactsForbidden):
        assert status == 403
        assert field in {e["field"] for e in refused.value.errors}
    else:
        assert status == 422
        named = {".".join(str(p) for p in e["loc"][1:]) for e in refused.value.errors()}
        assert field in named


def _reasons(refused: pytest.ExceptionInfo[Exception]) -> str:
    if isinstance(refused.value, FactsForbidden):
        return " ".join(e["reason"] for e in refused.value.errors)
    assert isinstance(refused.value, RequestValidationError)
    return " ".join(str(e["msg"]) for e in refused.value.errors())


def _caller(party_id: str, *roles: Role) -> Caller:
    return Caller(party_id=party_id, roles=frozenset(roles), via="api_key")


@pytest.mark.parametrize(
    ("requester", "supplier", "registry", "registered_value"),
    [
        ({"kind": "us_dod", "country": "US"}, {}, {"req": INDIA}, "partner_ministry"),
        ({"country": "US"}, {}, {"req": INDIA}, "IN"),
        ({}, {"country": "IN"}, {"req": DOD, "sup": ACME}, "'US'"),
        ({}, {"timezone": "Europe/Paris"}, {"req": DOD, "sup": ACME}, "America/Chicago"),
        ({}, {"country": "US"}, {"req": DOD, "sup": BIS}, "rating_authority"),
    ],
    ids=["requester-kind", "requester-country", "supplier-country", "supplier-zone", "kind"],
)
def test_a_refusal_names_a_registered_value_only_to_that_party_and_operators(
    requester: dict[str, Any], supplier: dict[str, Any], registry: Registry, registered_value: str
) -> None:
    """The party registry is for operators (GET /v1/parties is theirs): a dry run by any party
    must not read another party's registered kind, country or time zone through its refusals."""
    stated = body(requester, supplier)
    owner = "req" if requester else "sup"
    seen = {
        "another party": (_caller("someone-else", Role.REQUESTER), False),
        "the party itself": (_caller(owner, Role.REQUESTER, Role.SUPPLIER), True),
        "an operator": (_caller("ops", Role.OPERATOR), True),
    }
    for who, (caller, named) in seen.items():
        for dry_run in (False, True):
            with pytest.raises((FactsForbidden, RequestValidationError)) as refused:
                resolve_submission(stated, registry, sees=seen_by(caller), dry_run=dry_run)
            reasons = _reasons(refused)
            assert (registered_value in reasons) is named, (who, dry_run, reasons)
            if not named:
                assert "party registry" in reasons, reasons


def test_the_registry_fills_what_the_body_leaves_out() -> None:
    filled, registered = resolve_submission(body({}, {}), {"req": INDIA, "sup": BHARAT})
    assert (filled.requester.kind, filled.requester.country) == ("partner_ministry", "IN")
    supplier = filled.supplier
    assert (supplier.country, supplier.timezone, supplier.code_of_conduct_signatory) == (
        "IN",
        "Asia/Kolkata",
        True,
    )
    assert registered == commands.RegisteredFacts(requester=INDIA, supplier=BHARAT)


def test_a_body_that_agrees_passes_and_an_unregistered_supplier_keeps_its_stated_facts() -> None:
    stated = body({"kind": "us_dod", "country": "US"}, {"country": "US"})
    filled, registered = resolve_submission(stated, {"req": DOD})
    assert filled.requester == stated.requester
    assert (filled.supplier.country, filled.supplier.timezone) == ("US", "America/New_York")
    assert registered == commands.RegisteredFacts(requester=DOD, supplier=None)


def test_a_dry_run_for_an_unregistered_requester_goes_to_the_rules_unregistered() -> None:
    stated = body({"kind": "us_dod", "country": "US"}, {"country": "US"})
    filled, registered = resolve_submission(stated, {}, dry_run=True)
    assert registered is None
    assert filled.requester.kind == "us_dod"


ACTING = [
    # (name, command, registry, refused field or None)
    ("authority-unset", commands.DeterminationDetails(
        authority_party_id="x", approved=True, reference="r"), {}, "authority_party_id"),
    ("authority-wrong-kind", commands.AuthorizationDetails(
        authority_party_id="x", authorized=True, reference="r"), {"x": DOD},
     "authority_party_id"),
    ("authority-right", commands.AuthorizationDetails(
        authority_party_id="x", authorized=True, reference="r"), {"x": BIS}, None),
    ("commerce-change-by-dod", commands.AmendmentDetails(
        issued_by="x", kind="rating_change", by_commerce=True), {"x": DOD}, "issued_by"),
    ("requester-cancels-unset", commands.CancellationDetails(issued_by="x"), {}, None),
    ("supplier-cancels", commands.CancellationDetails(issued_by="x"), {"x": ACME},
     "issued_by"),
    ("answer-by-ministry", commands.SupplierResponseDetails(
        supplier_party_id="x", kind="accept"), {"x": INDIA}, "supplier_party_id"),
    ("answer-unset", commands.SupplierResponseDetails(supplier_party_id="x", kind="accept"),
     {}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "registry", "field"), [r[1:] for r in ACTING], ids=[r[0] for r in ACTING]
)
def test_a_command_s_acting_party_must_be_registered_as_what_may_give_it(
    command: object, registry: Registry, field: str | None
) -> None:
    if field is None:
        check_acting(command, registry)
        return
    with pytest.raises(FactsForbidden) as refused:
        check_acting(command, registry)
    assert [e["field"] for e in refused.value.errors] == [field]


ATTRIBUTES = [
    # (name, changes, refused field or None)
    ("dod", {"kind": "us_dod"}, None),
    ("dod-abroad", {"kind": "us_dod", "country": "DE"}, "country"),
    ("ministry-not-partner", {"kind": "partner_ministry", "country": "CN"}, "country"),
    ("ministry-without-country", {"kind": "partner_ministry"}, "country"),
    ("zone-for-ministry", {"kind": "partner_ministry", "country": "IN", "timezone": "UTC"},
     "timezone"),
    ("bad-zone", {"kind": "us_supplier", "timezone": "Mars/Olympus"}, "timezone"),
    ("signatory-us-firm", {"kind": "us_supplier", "code_of_conduct_signatory": True},
     "code_of_conduct_signatory"),
    ("country-without-kind", {"country": "US"}, "kind"),
    ("partner-firm", {"kind": "partner_supplier", "country": "IN", "timezone": "Asia/Kolkata",
                      "code_of_conduct_signatory": True}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"), [r[1:] for r in ATTRIBUTES], ids=[r[0] for r in ATTRIBUTES]
)
def test_attributes_are_checked_together(changes: dict[str, Any], field: str | None) -> None:
    def partner(country: str) -> bool:
        return country in {"IN", "GB", "DE"}

    if field is None:
        result = checked({}, changes, is_partner=partner)
        assert result["country"] in {"US", "IN"}
        return
    with pytest.raises(AttributesError) as refused:
        checked({}, changes, is_partner=partner)
    assert field in {e["loc"][1] for e in refused.value.errors}
