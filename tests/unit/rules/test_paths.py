"""Path selection: DPAS, DPAS via a SOSA, voluntary through the liaison, or no arrangement."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sosa.rules import (
    Authority,
    Outcome,
    PartnerRegistry,
    Path,
    Requester,
    RequesterKind,
    RuleId,
    Supplier,
    decide_submission,
)

from .builders import DOD, INDIA_MOD, INDIAN_FIRM, US_FIRM, make_request, utc

R = RuleId
UK_MOD = Requester(
    kind=RequesterKind.PARTNER_MINISTRY, country="GB", party_id="uk-mod", registered=True
)
BRAZIL_MOD = Requester(
    kind=RequesterKind.PARTNER_MINISTRY, country="BR", party_id="br-mod", registered=True
)
BRAZIL_FIRM = Supplier(
    country="BR", code_of_conduct_signatory=None, timezone="America/Sao_Paulo", party_id="br-co"
)
UK_FIRM = Supplier(
    country="GB", code_of_conduct_signatory=False, timezone="Europe/London", party_id="uk-co"
)

PATH_CASES = [
    ("us-dod-to-us-firm", DOD, US_FIRM, Outcome.DPAS_RATED_ORDER, Path.DPAS, R.DPAS_PATH_US_ORDER),
    (
        "partner-to-us-firm",
        INDIA_MOD,
        US_FIRM,
        Outcome.AWAITING_DETERMINATION,
        Path.DPAS_VIA_SOSA,
        R.SOSA_PARTNER_REQUEST_PATH,
    ),
    (
        "us-dod-to-partner-firm",
        DOD,
        INDIAN_FIRM,
        Outcome.VOLUNTARY_REQUEST,
        Path.VOLUNTARY,
        R.SOSA_VOLUNTARY_PATH,
    ),
    (
        "us-dod-to-non-partner-firm",
        DOD,
        BRAZIL_FIRM,
        Outcome.REJECTED,
        Path.NONE,
        R.SOSA_NO_ARRANGEMENT_SUPPLIER_COUNTRY,
    ),
    (
        "non-partner-ministry",
        BRAZIL_MOD,
        US_FIRM,
        Outcome.REJECTED,
        Path.NONE,
        R.SOSA_NO_ARRANGEMENT_REQUESTER_COUNTRY,
    ),
    (
        "partner-to-partner-firm",
        UK_MOD,
        INDIAN_FIRM,
        Outcome.REJECTED,
        Path.NONE,
        R.SOSA_PARTNER_TO_NON_US_SUPPLIER,
    ),
    (
        "partner-to-own-firm",
        UK_MOD,
        UK_FIRM,
        Outcome.REJECTED,
        Path.NONE,
        R.SOSA_PARTNER_TO_NON_US_SUPPLIER,
    ),
]


@pytest.mark.parametrize(
    ("requester", "supplier", "outcome", "path", "rule_id"),
    [c[1:] for c in PATH_CASES],
    ids=[c[0] for c in PATH_CASES],
)
def test_sosa_path_from_requester_supplier_and_registry(
    requester: Requester, supplier: Supplier, outcome: Outcome, path: Path, rule_id: RuleId
) -> None:
    decision = decide_submission(make_request(requester=requester, supplier=supplier))
    assert (decision.outcome, decision.path) == (outcome, path)
    assert decision.findings[0].rule_id is rule_id
    assert decision.findings[0].blocking == (outcome is Outcome.REJECTED)


def test_sosa_partner_request_waits_for_dod_determination_without_clock() -> None:
    decision = decide_submission(make_request(requester=INDIA_MOD, rating=None))
    assert decision.awaiting is Authority.DOD_PROGRAM_DETERMINATION
    assert decision.deadline is None
    assert decision.rating is None
    assert decision.partner_country == "IN"


def test_sosa_partner_proposed_rating_awaits_commerce() -> None:
    decision = decide_submission(make_request(requester=INDIA_MOD, rating="DX-A1"))
    assert decision.outcome is Outcome.AWAITING_DETERMINATION
    assert R.SOSA_RATING_AWAITS_AUTHORIZATION in decision.rule_ids
    assert decision.rating is None


def test_sosa_partner_request_still_needs_the_other_elements() -> None:
    decision = decide_submission(make_request(requester=INDIA_MOD, authorized_signer=None))
    assert decision.outcome is Outcome.REJECTED
    assert [f.rule_id for f in decision.findings if f.blocking] == [R.DPAS_700_12_A3_SIGNER_MISSING]


def test_700_57_a_dpas_rating_has_no_force_on_partner_supplier() -> None:
    decision = decide_submission(make_request(supplier=INDIAN_FIRM, rating="DX-A2"))
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    assert R.DPAS_700_57_A_NO_FORCE_ABROAD in decision.rule_ids
    assert decision.deadline is None
    assert decision.clock is None
    assert decision.liaison == "liaison-in"


def test_sosa_voluntary_request_needs_no_rating() -> None:
    decision = decide_submission(
        make_request(supplier=INDIAN_FIRM, rating=None, certification_statement=None)
    )
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    assert R.DPAS_700_57_A_NO_FORCE_ABROAD not in decision.rule_ids


SIGNATORY_CASES = [
    (True, R.SOSA_COC_SIGNATORY),
    (False, R.SOSA_COC_NON_SIGNATORY),
    (None, R.SOSA_COC_SIGNATORY_UNKNOWN),
]


@pytest.mark.parametrize(
    ("signatory", "rule_id"), SIGNATORY_CASES, ids=["signatory", "non-signatory", "unknown"]
)
def test_sosa_voluntary_signatory_or_not(signatory: bool | None, rule_id: RuleId) -> None:
    firm = replace(UK_FIRM, code_of_conduct_signatory=signatory)
    decision = decide_submission(make_request(supplier=firm))
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    assert rule_id in decision.rule_ids
    assert R.SOSA_COC_NOT_ESTABLISHED not in decision.rule_ids  # the UK has its Code


def test_sosa_india_code_of_conduct_may_not_be_established() -> None:
    decision = decide_submission(make_request(supplier=INDIAN_FIRM))
    assert R.SOSA_COC_NOT_ESTABLISHED in decision.rule_ids


def test_sosa_arrangement_not_in_force_before_signing() -> None:
    decision = decide_submission(
        make_request(supplier=replace(INDIAN_FIRM), received_at=utc(2024, 8, 21, 12))
    )
    assert decision.outcome is Outcome.REJECTED
    assert decision.rule_ids == (R.SOSA_ARRANGEMENT_NOT_IN_FORCE,)
    on_the_day = decide_submission(
        make_request(supplier=INDIAN_FIRM, received_at=utc(2024, 8, 22, 12))
    )
    assert on_the_day.outcome is Outcome.VOLUNTARY_REQUEST


def test_sosa_unconfirmed_signing_date_is_noted() -> None:
    canada = Requester(
        kind=RequesterKind.PARTNER_MINISTRY, country="CA", party_id="ca-dnd", registered=True
    )
    decision = decide_submission(make_request(requester=canada, received_at=utc(2001, 1, 2)))
    assert decision.outcome is Outcome.AWAITING_DETERMINATION
    assert R.SOSA_SIGNING_DATE_UNCONFIRMED in decision.rule_ids


def test_sosa_registry_override_adds_a_partner() -> None:
    data: dict[str, Any] = {
        "partners": [
            {
                "country": "BR",
                "name": "Brazil",
                "signed": "2026-01-01",
                "liaison": {"party_id": "liaison-br", "office": "Brazil MoD"},
            }
        ]
    }
    decision = decide_submission(
        make_request(supplier=BRAZIL_FIRM), registry=PartnerRegistry.from_dict(data)
    )
    assert decision.outcome is Outcome.VOLUNTARY_REQUEST
    assert decision.liaison == "liaison-br"


PARTY_CASES = [
    (
        "lower-case-country",
        {"supplier": replace(US_FIRM, country="us")},
        [R.PATH_COUNTRY_CODE_INVALID],
    ),
    (
        "dod-abroad",
        {"requester": replace(DOD, country="DE")},
        [R.PATH_REQUESTER_COUNTRY_MISMATCH],
    ),
    (
        "us-partner-ministry",
        {"requester": replace(INDIA_MOD, country="US")},
        [R.PATH_REQUESTER_COUNTRY_MISMATCH],
    ),
    (
        "self-declared-dod",
        {"requester": replace(DOD, registered=False)},
        [R.PATH_REQUESTER_KIND_UNREGISTERED],
    ),
    (
        "self-declared-partner-ministry",
        {"requester": replace(INDIA_MOD, registered=False)},
        [R.PATH_REQUESTER_KIND_UNREGISTERED],
    ),
    (
        "bad-timezone",
        {"supplier": replace(US_FIRM, timezone="Mars/Olympus")},
        [R.PATH_SUPPLIER_TIMEZONE_INVALID],
    ),
    (
        "path-in-timezone",
        {"supplier": replace(US_FIRM, timezone="../etc/passwd")},
        [R.PATH_SUPPLIER_TIMEZONE_INVALID],
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in PARTY_CASES], ids=[c[0] for c in PARTY_CASES]
)
def test_sosa_path_rejects_inconsistent_parties(
    overrides: dict[str, Any], expected: list[RuleId]
) -> None:
    decision = decide_submission(make_request(**overrides))
    assert (decision.outcome, decision.path) == (Outcome.REJECTED, Path.NONE)
    assert list(decision.rule_ids) == expected


def test_sosa_rejection_reason_is_actionable() -> None:
    decision = decide_submission(make_request(supplier=BRAZIL_FIRM))
    assert "BR" in decision.findings[0].reason
    assert "US supplier" in decision.findings[0].reason


def test_submission_needs_an_aware_receipt_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_submission(make_request(received_at=utc(2026, 6, 26).replace(tzinfo=None)))
