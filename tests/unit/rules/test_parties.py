"""Only the party a command belongs to may give it: the supplier answers, DoD determines,
Commerce authorizes (sosa operating rule COMMAND_WRONG_PARTY)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sosa.rules import (
    Authorization,
    Determination,
    Outcome,
    RequestStatus,
    ResponseKind,
    RuleId,
    SupplierResponse,
    decide_authorization,
    decide_determination,
    decide_response,
)

from .builders import partner_routed, routed, utc

NOW = utc(2026, 7, 1, 12)


def test_answer_from_the_addressed_supplier_is_judged() -> None:
    facts = routed()
    decision = decide_response(
        facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW, actor=facts.supplier.party_id
    )
    assert decision.outcome is Outcome.ACCEPTED


def test_answer_from_another_firm_is_refused_and_changes_nothing() -> None:
    facts = routed()
    decision = decide_response(
        facts, SupplierResponse(kind=ResponseKind.ACCEPT), now=NOW, actor="other-firm"
    )
    assert (decision.outcome, decision.rule_ids) == (Outcome.REFUSED, (RuleId.COMMAND_WRONG_PARTY,))
    assert facts.updated(decision) == facts


@pytest.mark.parametrize(("authority", "refused"), [("us-dod-ibp", False), ("us-doc-bis", True)])
def test_only_dod_makes_the_program_determination(authority: str, refused: bool) -> None:
    facts = replace(partner_routed(), status=RequestStatus.AWAITING_DETERMINATION)
    decision = decide_determination(
        facts,
        Determination(approved=True, authority_party_id=authority),
        now=NOW,
        entitled="us-dod-ibp",
    )
    assert (decision.outcome is Outcome.REFUSED) is refused
    assert (RuleId.COMMAND_WRONG_PARTY in decision.rule_ids) is refused


@pytest.mark.parametrize(("authority", "refused"), [("us-doc-bis", False), ("us-dod-ibp", True)])
def test_only_commerce_authorizes_the_rating(authority: str, refused: bool) -> None:
    facts = replace(partner_routed(), status=RequestStatus.AWAITING_AUTHORIZATION)
    decision = decide_authorization(
        facts,
        Authorization(authorized=True, authority_party_id=authority, rating="DO-G2"),
        now=NOW,
        entitled="us-doc-bis",
    )
    assert (decision.outcome is Outcome.REFUSED) is refused
    assert (RuleId.COMMAND_WRONG_PARTY in decision.rule_ids) is refused
