"""The voluntary path: requests to partner-country firms under a Code of Conduct, and answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .commands import ResponseKind, SupplierResponse
from .decision import Decision, Finding, Outcome, finding
from .facts import RequestFacts
from .partners import CodeOfConduct, Partner
from .priority_request import PriorityRequest
from .rule_ids import RuleId


def relay_notes(request: PriorityRequest, partner: Partner) -> list[Finding]:
    """What the liaison and the firm should know: Code-of-Conduct standing, and that a DPAS
    rating has no force abroad (15 CFR 700.57(a)), so 700.13 and its clocks do not apply."""
    notes = [signatory_note(request.supplier.code_of_conduct_signatory, partner)]
    if partner.code_of_conduct is CodeOfConduct.PENDING:
        notes.append(
            finding(
                RuleId.SOSA_COC_NOT_ESTABLISHED,
                f"{partner.name}'s government-industry Code of Conduct may not be established "
                "yet; a firm's signatory status cannot be relied on.",
            )
        )
    if request.rating and request.rating.strip():
        notes.append(
            finding(
                RuleId.DPAS_700_57_A_NO_FORCE_ABROAD,
                f"The request carries rating {request.rating.strip()!r}, but priority ratings have "
                "no legal authority outside the US. It is relayed as a voluntary request: the "
                "15 CFR 700.13 acceptance rules and response clocks do not apply.",
            )
        )
    return notes


def signatory_note(signatory: bool | None, partner: Partner) -> Finding:
    """Code of Conduct: signatory firms agree to make every reasonable effort to give priority
    support; participation is voluntary and any firm may decline."""
    if signatory is None:
        return finding(
            RuleId.SOSA_COC_SIGNATORY_UNKNOWN,
            "The request does not say whether the firm signed "
            f"{partner.name}'s Code of Conduct; check DoD's list of participating firms.",
        )
    if signatory:
        return finding(
            RuleId.SOSA_COC_SIGNATORY,
            f"The firm signed {partner.name}'s Code of Conduct: it has agreed to make every "
            "reasonable effort to give priority support. It may still decline.",
        )
    return finding(
        RuleId.SOSA_COC_NON_SIGNATORY,
        f"The firm has not signed {partner.name}'s Code of Conduct: the liaison may ask, and any "
        "support it gives is voluntary.",
    )


def no_target_note(partner: Partner) -> Finding:
    """No statutory clock applies abroad; the partner registry sets no response target."""
    return finding(
        RuleId.SOSA_VOLUNTARY_NO_TARGET,
        f"No statutory response clock applies in {partner.name}, and the partner registry sets no "
        "response target for it; the liaison chases the answer.",
    )


def decide_voluntary_response(
    facts: RequestFacts, response: SupplierResponse, *, now: datetime
) -> Decision:
    """A partner firm's answer: accept, partial (quantity and/or date) or decline with free text.
    DPAS rejection codes do not apply; a missed partner target is noted, never enforced."""
    decision = _judge(facts, response)
    if decision.outcome is Outcome.REFUSED:
        return decision
    if facts.deadline is not None and now > facts.deadline:
        missed = finding(
            RuleId.SOSA_VOLUNTARY_TARGET_MISSED,
            f"Answered at {now.isoformat()}, after the partner's target "
            f"{facts.deadline.isoformat()}.",
        )
        return replace(decision, findings=(*decision.findings, missed), late=True)
    return decision


def _judge(facts: RequestFacts, response: SupplierResponse) -> Decision:
    if response.kind is ResponseKind.ACCEPT:
        accepted = finding(RuleId.SOSA_VOLUNTARY_ACCEPTED, "The partner firm accepts the request.")
        return facts.carried(Outcome.ACCEPTED, [accepted])
    if response.kind is ResponseKind.PARTIAL:
        return _partial(facts, response)
    if response.kind is ResponseKind.DECLINE:
        return _decline(facts, response)
    return facts.refused(
        finding(
            RuleId.SOSA_VOLUNTARY_NO_DPAS_REASONS,
            "A partner-country firm is not bound by 15 CFR 700.13 and does not reject with its "
            "reason codes: decline, with the reasons in free text.",
            blocking=True,
        )
    )


def _partial(facts: RequestFacts, response: SupplierResponse) -> Decision:
    """Code of Conduct (voluntary): a firm may accept part: a quantity and/or a later date."""
    quantity, offered = response.accepted_quantity, response.offered_date
    if (quantity is None or quantity <= 0) and offered is None:
        return facts.refused(
            finding(
                RuleId.SOSA_VOLUNTARY_PARTIAL_NEEDS_TERMS,
                "A partial acceptance must give the quantity (above zero) and/or the date the "
                "firm can meet.",
                blocking=True,
            )
        )
    terms = " and ".join(
        part
        for part in (
            f"quantity {quantity}" if quantity is not None and quantity > 0 else "",
            f"delivery on {offered}" if offered is not None else "",
        )
        if part
    )
    partial = finding(RuleId.SOSA_VOLUNTARY_PARTIAL, f"The partner firm offers {terms}.")
    decision = facts.carried(Outcome.PARTIALLY_ACCEPTED, [partial])
    return replace(decision, offered_quantity=quantity, offered_date=offered)


def _decline(facts: RequestFacts, response: SupplierResponse) -> Decision:
    """Code of Conduct: any firm may decline, saying why; a signatory records its efforts."""
    text = (response.explanation or "").strip()
    if not text:
        return facts.refused(
            finding(
                RuleId.SOSA_VOLUNTARY_DECLINE_NEEDS_TEXT,
                "Say in free text why the firm declines; the liaison relays it to DoD.",
                blocking=True,
            )
        )
    findings = [finding(RuleId.SOSA_VOLUNTARY_DECLINED, f"The partner firm declines: {text}")]
    if facts.supplier.code_of_conduct_signatory:
        effort = (response.reasonable_effort or "").strip()
        findings.append(
            finding(
                RuleId.SOSA_COC_EVERY_REASONABLE_EFFORT,
                f"Efforts documented by the signatory firm: {effort}"
                if effort
                else "The signatory firm documented no effort; its Code of Conduct asks for "
                "every reasonable effort. The liaison may follow up.",
            )
        )
    return facts.carried(Outcome.DECLINED, findings)
