"""A US supplier's answer to a rated order: acceptance and the rejections 15 CFR 700.13 allows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from .commands import ResponseKind, SupplierResponse
from .decision import Decision, Finding, Outcome, finding
from .facts import RequestFacts
from .priority_request import RequesterKind
from .rating import Level
from .rule_ids import RuleId


class RejectionReason(StrEnum):
    """The reason codes of 15 CFR 700.13(b) (mandatory) and (c) (optional), and one never valid."""

    B1_CANNOT_MEET_DATE = "MR_B1_CANNOT_MEET_DATE"
    B2_DO_CONFLICTS_PRIOR_RATED = "MR_B2_DO_CONFLICTS_PRIOR_RATED"
    B3_DX_CONFLICTS_PRIOR_DX = "MR_B3_DX_CONFLICTS_PRIOR_DX"
    B4_SAME_DAY_CAPACITY = "MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY"
    C1_TERMS_OF_SALE = "OR_C1_TERMS_OF_SALE_OR_PAYMENT"
    C2_NOT_OFFERED = "OR_C2_ITEM_OR_SERVICE_NOT_OFFERED"
    C3_OWN_USE = "OR_C3_OWN_USE_ITEM"
    C4_CUSTOMER_SELF_SUPPLIES = "OR_C4_CUSTOMER_SELF_SUPPLIES"
    C5_VIOLATES_COMMERCE_ORDER = "OR_C5_WOULD_VIOLATE_DOC_ORDER"
    CONFLICT_WITH_LOWER_RATED = "CONFLICT_WITH_UNRATED_OR_LOWER_RATED"

    @classmethod
    def parse(cls, text: str) -> RejectionReason | None:
        """A reason from its code (MR_B1_..., OR_C2_...) or its paragraph (B1, C2)."""
        key = text.strip().upper()
        for reason in cls:
            if key in (reason.value, reason.name, reason.name.split("_", 1)[0]):
                return reason
        return None


# reason -> (rule when given with a date, rule when the date is missing, what it says)
MANDATORY = {
    RejectionReason.B1_CANNOT_MEET_DATE: (
        RuleId.DPAS_700_13_B1_CANNOT_MEET_DATE,
        RuleId.DPAS_700_13_B1_REQUIRES_EARLIEST_DATE,
        "the supplier cannot fill the order by the required date",
    ),
    RejectionReason.B2_DO_CONFLICTS_PRIOR_RATED: (
        RuleId.DPAS_700_13_B2_DO_CONFLICTS_PRIOR_RATED,
        RuleId.DPAS_700_13_B2_REQUIRES_EARLIEST_DATE,
        "the DO order's date would interfere with previously accepted DO or DX orders",
    ),
    RejectionReason.B3_DX_CONFLICTS_PRIOR_DX: (
        RuleId.DPAS_700_13_B3_DX_CONFLICTS_PRIOR_DX,
        RuleId.DPAS_700_13_B3_REQUIRES_EARLIEST_DATE,
        "the DX order's date would interfere with previously accepted DX orders",
    ),
    RejectionReason.B4_SAME_DAY_CAPACITY: (
        RuleId.DPAS_700_13_B4_SAME_DAY_CAPACITY,
        RuleId.DPAS_700_13_B4_REQUIRES_EARLIEST_DATE,
        "equal-priority orders received the same day cannot all be filled",
    ),
}

OPTIONAL = {
    RejectionReason.C1_TERMS_OF_SALE: (
        RuleId.DPAS_700_13_C1_TERMS_OF_SALE,
        "the customer will not or cannot meet regularly established terms of sale or payment",
    ),
    RejectionReason.C2_NOT_OFFERED: (
        RuleId.DPAS_700_13_C2_NOT_OFFERED,
        "the order is for an item the supplier does not supply or a service it does not perform",
    ),
    RejectionReason.C3_OWN_USE: (
        RuleId.DPAS_700_13_C3_OWN_USE,
        "the item is made only for the supplier's own use and none was sold in the past two years",
    ),
    RejectionReason.C4_CUSTOMER_SELF_SUPPLIES: (
        RuleId.DPAS_700_13_C4_CUSTOMER_SELF_SUPPLIES,
        "the customer makes the item or performs the service itself",
    ),
    RejectionReason.C5_VIOLATES_COMMERCE_ORDER: (
        RuleId.DPAS_700_13_C5_VIOLATES_COMMERCE_ORDER,
        "accepting would violate a Commerce regulation, official action or order",
    ),
}


def decide_dpas_response(
    facts: RequestFacts, response: SupplierResponse, *, now: datetime
) -> Decision:
    """15 CFR 700.13: a rated order is accepted or rejected, by the deadline; a late answer is
    recorded and marked late."""
    decision = _judge(facts, response)
    if decision.outcome is Outcome.REFUSED or facts.deadline is None or now <= facts.deadline:
        return decision
    late = finding(
        RuleId.DPAS_700_13_E_EP_RESPONSE_LATE
        if facts.emergency_hours
        else RuleId.DPAS_700_13_D1_RESPONSE_LATE,
        f"Answered at {now.isoformat()}, after the deadline {facts.deadline.isoformat()}.",
    )
    return replace(decision, findings=(*decision.findings, late), late=True)


def _judge(facts: RequestFacts, response: SupplierResponse) -> Decision:
    if response.kind is ResponseKind.ACCEPT:
        accepted = finding(
            RuleId.DPAS_700_13_A1_ACCEPTED,
            f"The supplier accepts {facts.rating or 'the rated order'}; it must fill it on the "
            "same terms as comparable unrated orders (15 CFR 700.13(a)(2)).",
        )
        return facts.carried(Outcome.ACCEPTED, [accepted])
    if response.kind is not ResponseKind.REJECT:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_13_A1_NO_VOLUNTARY_ANSWERS,
                f"A rated order cannot be answered with '{response.kind}': accept it, or reject "
                "it for a reason 15 CFR 700.13(b) or (c) lists.",
            )
        )
    return _rejection(facts, response)


def _rejection(facts: RequestFacts, response: SupplierResponse) -> Decision:
    """15 CFR 700.13(b)-(d): a rejection gives a listed reason; conflict with unrated or
    lower-rated orders is never one (700.13(b)(1))."""
    if not (response.reason or "").strip():
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_13_D1_REJECTION_NEEDS_REASON,
                "A rejection must give its reason: a 15 CFR 700.13(b) or (c) reason code.",
            )
        )
    reason = RejectionReason.parse(response.reason or "")
    if reason is RejectionReason.CONFLICT_WITH_LOWER_RATED:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_13_B1_LOWER_RATED_CONFLICT_INVALID,
                "Conflict with previously accepted unrated or lower-rated orders is not a reason "
                "to reject a rated order: reschedule that work (15 CFR 700.14).",
            )
        )
    if reason in MANDATORY:
        return _mandatory(facts, response, reason)
    if reason in OPTIONAL:
        return _optional(facts, response, reason)
    return facts.refused(
        _blocking(
            RuleId.DPAS_700_13_REASON_NOT_LISTED,
            f"{response.reason!r} is not a reason 15 CFR 700.13 allows. Use (b)(1)-(b)(4) with "
            "the earliest date you can deliver, or (c)(1)-(c)(5).",
        )
    )


def _mandatory(
    facts: RequestFacts, response: SupplierResponse, reason: RejectionReason
) -> Decision:
    """15 CFR 700.13(b)(1)-(4): reject, stating the earliest date the supplier can deliver and
    offering to accept for that date: a counter-offer."""
    fired, needs_date, says = MANDATORY[reason]
    level = facts.rating.level if facts.rating else None
    problem = _level_problem(reason, level)
    if problem is not None:
        return facts.refused(problem)
    earliest = response.earliest_delivery_date
    if earliest is None:
        return facts.refused(
            _blocking(
                needs_date,
                f"A rejection because {says} must state the earliest date the supplier can "
                "deliver, and offer to accept the order for that date.",
            )
        )
    required = min(facts.required_delivery_dates, default=None)
    if required is not None and earliest <= required:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_13_B_EARLIEST_DATE_NOT_LATER,
                f"The offered date {earliest} is not later than the required date {required}: "
                "if the supplier can deliver by then, it must accept.",
            )
        )
    counter = finding(
        fired,
        f"Rejected because {says}; the supplier offers to accept for delivery on {earliest}.",
    )
    return replace(facts.carried(Outcome.COUNTER_OFFERED, [counter]), offered_date=earliest)


def _level_problem(reason: RejectionReason, level: Level | None) -> Finding | None:
    """(b)(2) is for DO orders only, (b)(3) for DX orders only: a DX does not yield to prior DOs."""
    if reason is RejectionReason.B2_DO_CONFLICTS_PRIOR_RATED and level is Level.DX:
        return _blocking(
            RuleId.DPAS_700_13_B2_ONLY_FOR_DO,
            "(b)(2) is for DO orders; this is a DX order, which does not yield to accepted DO "
            "orders. If it conflicts with accepted DX orders, use (b)(3).",
        )
    if reason is RejectionReason.B3_DX_CONFLICTS_PRIOR_DX and level is Level.DO:
        return _blocking(
            RuleId.DPAS_700_13_B3_ONLY_FOR_DX,
            "(b)(3) is for DX orders; this is a DO order. If it conflicts with accepted DO or "
            "DX orders, use (b)(2).",
        )
    return None


def _optional(facts: RequestFacts, response: SupplierResponse, reason: RejectionReason) -> Decision:
    """15 CFR 700.13(c)(1)-(5): the supplier may reject, if it does not discriminate among
    customers; (c)(4) does not apply when the customer is the US Government."""
    fired, says = OPTIONAL[reason]
    us_government = facts.requester.kind is RequesterKind.US_DOD
    if reason is RejectionReason.C4_CUSTOMER_SELF_SUPPLIES and us_government:
        return facts.refused(
            _blocking(
                RuleId.DPAS_700_13_C4_NOT_FOR_US_GOVERNMENT,
                "(c)(4) does not apply when the customer is the US Government.",
            )
        )
    explanation = (response.explanation or "").strip()
    detail = f" ({explanation})" if explanation else ""
    findings = [
        finding(fired, f"Rejected because {says}{detail}."),
        finding(
            RuleId.DPAS_700_13_C_NON_DISCRIMINATION,
            "An optional rejection is allowed only if the supplier does not discriminate among "
            "customers; it is recorded for compliance review.",
        ),
    ]
    return facts.carried(Outcome.REJECTED_BY_SUPPLIER, findings)


def _blocking(rule_id: RuleId, reason: str) -> Finding:
    return finding(rule_id, reason, blocking=True)
