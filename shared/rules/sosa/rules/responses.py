"""decide_response and decide_overdue: supplier answers and silence, on whichever path applies."""

from __future__ import annotations

from datetime import datetime

from .commands import SupplierResponse
from .decision import Decision, Outcome, Path, finding
from .facts import RequestFacts, RequestStatus
from .instants import require_aware
from .rejections import decide_dpas_response
from .rule_ids import RuleId
from .voluntary import decide_voluntary_response

AWAITING_ANSWER = frozenset({RequestStatus.ROUTED, RequestStatus.OVERDUE})
DPAS_PATHS = frozenset({Path.DPAS, Path.DPAS_VIA_SOSA})
ANSWERABLE_PATHS = DPAS_PATHS | {Path.VOLUNTARY}


def decide_response(
    facts: RequestFacts, response: SupplierResponse, *, now: datetime, actor: str | None = None
) -> Decision:
    """Judge a supplier's answer. On a DPAS path 15 CFR 700.13 applies (accept, or reject for a
    listed reason, (b) rejections with the earliest date); on the voluntary path the partner
    firm accepts, accepts in part or declines. An answer after the deadline is marked late.
    Only the supplier the request is addressed to may answer it (`actor`, when given)."""
    require_aware(now)
    if actor is not None and actor != facts.supplier.party_id:
        return facts.wrong_party("An answer to this request", actor, facts.supplier.party_id)
    if facts.status not in AWAITING_ANSWER:
        return facts.wrong_state(f"A supplier answer ({response.kind})", AWAITING_ANSWER)
    if facts.path in DPAS_PATHS:
        return decide_dpas_response(facts, response, now=now)
    if facts.path is Path.VOLUNTARY:
        return decide_voluntary_response(facts, response, now=now)
    return facts.wrong_path("A supplier answer", ANSWERABLE_PATHS)


def decide_overdue(facts: RequestFacts, *, now: datetime) -> Decision:
    """No answer by the deadline: OVERDUE, a compliance flag and an escalation, never an
    acceptance (15 CFR 700.13(d)(1), or 700.13(e) for an emergency-preparedness order's hours;
    DPAS has no "silence is acceptance" rule). On the voluntary path, a missed partner target
    escalates to the liaison."""
    require_aware(now)
    routed = frozenset({RequestStatus.ROUTED})
    if facts.status is not RequestStatus.ROUTED:
        return facts.wrong_state("Marking a request overdue", routed)
    if facts.deadline is None or now <= facts.deadline:
        due = facts.deadline.isoformat() if facts.deadline else "never (no clock runs)"
        return facts.refused(
            finding(
                RuleId.COMMAND_WRONG_STATE,
                f"The request is not overdue at {now.isoformat()}: its answer is due {due}.",
                blocking=True,
            )
        )
    if facts.path is Path.VOLUNTARY:
        reason = (
            f"No answer by the partner's target {facts.deadline.isoformat()}: escalate to the "
            f"liaison {facts.liaison or ''}. The firm is not in breach; the target is voluntary."
        )
        return facts.carried(
            Outcome.OVERDUE, [finding(RuleId.SOSA_VOLUNTARY_TARGET_MISSED, reason)]
        )
    limit = (
        f"the emergency-preparedness limit of {facts.emergency_hours} hours after receipt, "
        f"{facts.deadline.isoformat()}"
        if facts.emergency_hours
        else f"the deadline {facts.deadline.isoformat()}"
    )
    reason = (
        f"No answer by {limit}. Silence is not acceptance: the order is overdue, a compliance "
        "matter to raise with the contract administration officer or through Special Priorities "
        "Assistance (15 CFR 700.50)."
    )
    rule = (
        RuleId.DPAS_700_13_E_EP_NO_SILENT_ACCEPTANCE
        if facts.emergency_hours
        else RuleId.DPAS_700_13_D1_NO_SILENT_ACCEPTANCE
    )
    return facts.carried(Outcome.OVERDUE, [finding(rule, reason)])
