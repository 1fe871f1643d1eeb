"""The rule catalog: every rule id has a citation, is exercised by a scenario, and is documented."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any

import pytest

from sosa.rules import (
    CATALOG,
    GLOBAL,
    Amendment,
    AmendmentKind,
    Authorization,
    Decision,
    Determination,
    Finding,
    PartnerRegistry,
    Posture,
    PostureBoard,
    PostureBook,
    Rating,
    Requester,
    RequesterKind,
    RequestFacts,
    RequestStatus,
    ResponseKind,
    RuleId,
    ScheduledOrder,
    SupplierResponse,
    WorkPlan,
    decide_amendment,
    decide_authorization,
    decide_determination,
    decide_early_escalation,
    decide_overdue,
    decide_response,
    decide_submission,
    work_order,
)

from .builders import (
    DOD,
    INDIA_MOD,
    INDIAN_FIRM,
    US_FIRM,
    emergency,
    make_request,
    partner_routed,
    routed,
    utc,
)

K = AmendmentKind
_EMERGENCY = PostureBoard(PostureBook.default(), {GLOBAL: Posture.EMERGENCY})
NOW = utc(2026, 7, 1, 12)
LATER = date(2026, 10, 1)
DOCS = FilePath(__file__).parents[3] / "docs" / "rules.md"


def submit(**overrides: Any) -> Decision:
    return decide_submission(make_request(**overrides))


def dpas(rating: str = "DO-A1", **kw: Any) -> RequestFacts:
    return routed(make_request(rating=rating, **kw))


def voluntary(signatory: bool | None = True) -> RequestFacts:
    return routed(make_request(supplier=replace(INDIAN_FIRM, code_of_conduct_signatory=signatory)))


def awaiting(status: RequestStatus) -> RequestFacts:
    return replace(routed(make_request(requester=INDIA_MOD, rating=None)), status=status)


def answer(facts: RequestFacts, kind: ResponseKind, **kw: Any) -> Decision:
    return decide_response(facts, SupplierResponse(kind=kind, **kw), now=NOW)


def reject(facts: RequestFacts, reason: str | None, earliest: date | None = None) -> Decision:
    return answer(facts, ResponseKind.REJECT, reason=reason, earliest_delivery_date=earliest)


def amend(facts: RequestFacts, kind: AmendmentKind, **kw: Any) -> Decision:
    issued_by = kw.pop("issued_by", facts.requester.party_id)
    return decide_amendment(facts, Amendment(kind=kind, issued_by=issued_by, **kw), now=NOW)


def authorize(rating: str | None, facts: RequestFacts | None = None) -> Decision:
    command = Authorization(authorized=True, authority_party_id="doc-bis", rating=rating)
    return decide_authorization(
        facts or awaiting(RequestStatus.AWAITING_AUTHORIZATION), command, now=NOW
    )


def plan(*ranks: tuple[str | None, int, bool]) -> WorkPlan:
    return work_order(
        ScheduledOrder(
            order_id=f"o{n}",
            rating=Rating.parse(rating) if rating else None,
            required_delivery_date=date(2026, 9, day),
            received_at=utc(2026, 5, n + 1),
            directive=directive,
        )
        for n, (rating, day, directive) in enumerate(ranks)
    )


def with_target(hours: int) -> PartnerRegistry:
    row = {
        "country": "IN",
        "name": "India",
        "signed": "2024-08-22",
        "response_target": {"hours": hours},
        "liaison": {"party_id": "liaison-in", "office": "India MoD"},
    }
    return PartnerRegistry.from_dict({"partners": [row]})


def overdue_voluntary() -> RequestFacts:
    return replace(voluntary(), deadline=NOW - timedelta(hours=1))


CANADA = Requester(
    kind=RequesterKind.PARTNER_MINISTRY, country="CA", party_id="ca-dnd", registered=True
)
BRAZIL = Requester(
    kind=RequesterKind.PARTNER_MINISTRY, country="BR", party_id="br-mod", registered=True
)

# One scenario per behaviour; together they must fire every catalogued rule.
SCENARIOS: dict[str, Callable[[], Decision | WorkPlan]] = {
    "dpas-complete": submit,
    "do-order": lambda: submit(rating="DO-A1"),
    "provisional-other-program": lambda: submit(rating="DO-P1"),
    "commerce-program": lambda: submit(rating="DO-G2"),
    "all-elements-missing": lambda: submit(
        rating=None,
        required_delivery_dates=("ASAP", "31/9"),
        authorized_signer=None,
        certification_statement=None,
    ),
    "bad-rating-and-dates": lambda: submit(rating="rush", required_delivery_dates=()),
    "delivery-date-past": lambda: submit(required_delivery_dates=("2026-06-25", "2026-09-01")),
    "unknown-program-bad-statement": lambda: submit(
        rating="DO-Z9", certification_statement="hurry"
    ),
    "ep-missing-statement-and-hours": lambda: submit(
        emergency_preparedness=emergency(None, statement=None)
    ),
    "ep-inconsistent": lambda: submit(
        emergency_preparedness=emergency(24, statement="emergency preparedness: within 12 hours")
    ),
    "ep-bad-hazard": lambda: submit(emergency_preparedness=emergency(24, "flood")),
    "ep-below-minimum": lambda: submit(emergency_preparedness=emergency(3, "occurred")),
    "ep-ok": lambda: submit(emergency_preparedness=emergency(6, "occurred")),
    "partner-request": lambda: submit(requester=INDIA_MOD, rating="DX-A1"),
    "canada-unconfirmed": lambda: submit(requester=CANADA),
    "voluntary-signatory-india": lambda: submit(supplier=INDIAN_FIRM),
    "voluntary-non-signatory": lambda: submit(
        supplier=replace(INDIAN_FIRM, code_of_conduct_signatory=False)
    ),
    "voluntary-unknown": lambda: submit(
        supplier=replace(INDIAN_FIRM, code_of_conduct_signatory=None)
    ),
    "voluntary-target": lambda: decide_submission(
        make_request(supplier=INDIAN_FIRM), registry=with_target(48)
    ),
    "no-sosa-supplier": lambda: submit(supplier=replace(US_FIRM, country="BR")),
    "no-sosa-requester": lambda: submit(requester=BRAZIL),
    "partner-to-partner": lambda: submit(
        requester=INDIA_MOD, supplier=replace(INDIAN_FIRM, country="GB")
    ),
    "before-signing": lambda: submit(supplier=INDIAN_FIRM, received_at=utc(2024, 1, 1)),
    "bad-parties": lambda: submit(
        requester=replace(DOD, country="us"), supplier=replace(US_FIRM, timezone="Nowhere")
    ),
    "self-declared-requester": lambda: submit(requester=replace(DOD, registered=False)),
    "determination-made": lambda: decide_determination(
        awaiting(RequestStatus.AWAITING_DETERMINATION),
        Determination(approved=True, authority_party_id="dod"),
        now=NOW,
    ),
    "determination-denied": lambda: decide_determination(
        awaiting(RequestStatus.AWAITING_DETERMINATION),
        Determination(approved=False, authority_party_id="dod"),
        now=NOW,
    ),
    "authorized-odd-series": lambda: authorize("DO-A1"),
    "authorization-denied": lambda: decide_authorization(
        awaiting(RequestStatus.AWAITING_AUTHORIZATION),
        Authorization(authorized=False, authority_party_id="bis"),
        now=NOW,
    ),
    "accept": lambda: answer(dpas(), ResponseKind.ACCEPT),
    "answer-from-another-firm": lambda: decide_response(
        dpas(), SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW, actor="someone-else"
    ),
    "decline-rated-order": lambda: answer(dpas(), ResponseKind.DECLINE),
    "b1": lambda: reject(dpas(), "B1", LATER),
    "b2": lambda: reject(dpas(), "B2", LATER),
    "b3": lambda: reject(dpas("DX-A1"), "B3", LATER),
    "b4": lambda: reject(dpas(), "B4", LATER),
    "b1-no-date": lambda: reject(dpas(), "B1"),
    "b2-no-date": lambda: reject(dpas(), "B2"),
    "b3-no-date": lambda: reject(dpas("DX-A1"), "B3"),
    "b4-no-date": lambda: reject(dpas(), "B4"),
    "b-date-too-early": lambda: reject(dpas(), "B1", date(2026, 8, 1)),
    "b2-on-dx": lambda: reject(dpas("DX-A1"), "B2", LATER),
    "b3-on-do": lambda: reject(dpas(), "B3", LATER),
    "lower-rated-conflict": lambda: reject(dpas(), "CONFLICT_WITH_UNRATED_OR_LOWER_RATED"),
    "c1": lambda: reject(dpas(), "C1"),
    "c2": lambda: reject(dpas(), "C2"),
    "c3": lambda: reject(dpas(), "C3"),
    "c4-foreign": lambda: reject(partner_routed(), "C4"),
    "c4-us-government": lambda: reject(dpas(), "C4"),
    "c5": lambda: reject(dpas(), "C5"),
    "no-reason": lambda: reject(dpas(), None),
    "unlisted-reason": lambda: reject(dpas(), "capacity"),
    "late": lambda: decide_response(
        dpas(), SupplierResponse(kind=ResponseKind.ACCEPT), now=utc(2026, 12, 1)
    ),
    "late-ep": lambda: decide_response(
        dpas(emergency_preparedness=emergency(6)),
        SupplierResponse(kind=ResponseKind.ACCEPT),
        now=utc(2026, 12, 1),
    ),
    "silence": lambda: decide_overdue(dpas(), now=utc(2026, 12, 1)),
    "ep-silence": lambda: decide_overdue(
        dpas(emergency_preparedness=emergency(6, "occurred")), now=utc(2026, 12, 1)
    ),
    "voluntary-accept": lambda: answer(voluntary(), ResponseKind.ACCEPT),
    "voluntary-partial": lambda: answer(
        voluntary(), ResponseKind.PARTIAL, accepted_quantity=Decimal(3)
    ),
    "voluntary-partial-empty": lambda: answer(voluntary(), ResponseKind.PARTIAL),
    "voluntary-decline": lambda: answer(voluntary(), ResponseKind.DECLINE, explanation="full"),
    "voluntary-decline-silent": lambda: answer(voluntary(), ResponseKind.DECLINE),
    "voluntary-dpas-code": lambda: reject(voluntary(), "B1", LATER),
    "voluntary-overdue": lambda: decide_overdue(overdue_voluntary(), now=NOW),
    "schedule": lambda: plan(
        ("DX-A1", 1, False),
        ("DO-A1", 2, False),
        ("DO-A2", 2, False),
        ("DO-A3", 3, False),
        (None, 1, True),
    ),
    "stranger-amends": lambda: amend(dpas(), K.CANCELLATION, issued_by="someone"),
    "downgrade": lambda: amend(dpas("DX-A1"), K.RATING_CHANGE, new_rating="DO-A1"),
    "upgrade": lambda: amend(dpas(), K.RATING_CHANGE, new_rating="DX-A1"),
    "schedule-change": lambda: amend(dpas(), K.SCHEDULE_CHANGE, new_delivery_dates=("2026-11-02",)),
    "minor-change": lambda: amend(dpas(), K.SHIPPING_DESTINATION),
    "design-after-start": lambda: amend(dpas(), K.MINOR_DESIGN_VARIATION, production_started=True),
    "cancel": lambda: amend(dpas(), K.CANCELLATION),
    "withdraw": lambda: amend(awaiting(RequestStatus.AWAITING_DETERMINATION), K.CANCELLATION),
    "voluntary-amend": lambda: amend(voluntary(), K.SHIPPING_DESTINATION),
    "wrong-state": lambda: answer(
        replace(dpas(), status=RequestStatus.CANCELLED), ResponseKind.ACCEPT
    ),
    "posture": lambda: decide_submission(make_request(), postures=_EMERGENCY),
    "posture-voluntary-target": lambda: decide_submission(
        make_request(supplier=INDIAN_FIRM), postures=_EMERGENCY
    ),
    "posture-early-escalation": lambda: decide_early_escalation(
        dpas(), _EMERGENCY.for_partner(None), now=NOW
    ),
    "wrong-path": lambda: decide_determination(
        dpas(), Determination(approved=True, authority_party_id="dod"), now=NOW
    ),
}


def findings_of(result: Decision | WorkPlan) -> Iterable[Finding]:
    return result.findings


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_catalog_scenario_decides_with_catalogued_rules(name: str) -> None:
    result = SCENARIOS[name]()
    assert result.findings, name
    for f in findings_of(result):
        assert f.rule_id in CATALOG
        assert f.citation == CATALOG[f.rule_id].citation


def test_catalog_every_rule_id_is_exercised() -> None:
    fired = {f.rule_id for scenario in SCENARIOS.values() for f in findings_of(scenario())}
    assert set(RuleId) - fired == set()


def test_catalog_covers_every_rule_id_with_a_citation_and_title() -> None:
    assert set(CATALOG) == set(RuleId)
    for rule_id, rule in CATALOG.items():
        assert rule.rule_id is rule_id
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", rule_id)
        assert rule.citation
        assert rule.title
        if rule_id.startswith("DPAS_700_"):
            paragraph = rule_id.removeprefix("DPAS_").split("_")[1]
            assert f"700.{paragraph}" in rule.citation, rule_id


def test_docs_list_every_rule_id_with_its_citation_and_data_files() -> None:
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in DOCS.read_text("utf-8").splitlines()
        if line.startswith("| `")
    }
    assert set(rows) >= {str(r) for r in RuleId}
    for rule_id, rule in CATALOG.items():
        cells = [cell.strip() for cell in rows[rule_id].split("|")]
        assert cells[2] == rule.citation, rule_id
        assert cells[4] == rule.confidence.value, rule_id
        assert cells[5] == (", ".join(f"`{d}`" for d in rule.data_files) or "—"), rule_id
