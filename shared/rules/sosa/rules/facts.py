"""What the rules need to know of a request after submission: state, path, rating, clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from .clock_rules import Hazard
from .decision import Decision, Finding, Outcome, Path, finding
from .priority_request import PriorityRequest, Requester, Supplier
from .rating import Rating
from .rule_ids import RuleId


class RequestStatus(StrEnum):
    """Where a request stands (docs/architecture.md, "The path of a request"; same values as the
    wire's RequestState)."""

    RECEIVED = "received"
    AWAITING_DETERMINATION = "awaiting_determination"
    AWAITING_AUTHORIZATION = "awaiting_authorization"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    REJECTED_BY_SUPPLIER = "rejected_by_supplier"
    COUNTER_OFFERED = "counter_offered"
    DECLINED = "declined"
    OVERDUE = "overdue"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


STATUS_AFTER: dict[Outcome, RequestStatus] = {
    Outcome.DPAS_RATED_ORDER: RequestStatus.ROUTED,
    Outcome.VOLUNTARY_REQUEST: RequestStatus.ROUTED,
    Outcome.AWAITING_DETERMINATION: RequestStatus.AWAITING_DETERMINATION,
    Outcome.AWAITING_AUTHORIZATION: RequestStatus.AWAITING_AUTHORIZATION,
    Outcome.REJECTED: RequestStatus.REJECTED,
    Outcome.ACCEPTED: RequestStatus.ACCEPTED,
    Outcome.PARTIALLY_ACCEPTED: RequestStatus.ACCEPTED,
    Outcome.REJECTED_BY_SUPPLIER: RequestStatus.REJECTED_BY_SUPPLIER,
    Outcome.COUNTER_OFFERED: RequestStatus.COUNTER_OFFERED,
    Outcome.DECLINED: RequestStatus.DECLINED,
    Outcome.OVERDUE: RequestStatus.OVERDUE,
    Outcome.CANCELLED: RequestStatus.CANCELLED,
}
"""The state each outcome leads to. AMENDED and REFUSED leave the state as it was."""
_HAZARDS = frozenset(Hazard)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFacts:
    """A request's current facts, as the router keeps them between commands."""

    request_id: str
    status: RequestStatus
    path: Path
    requester: Requester
    supplier: Supplier
    rating: Rating | None = None
    required_delivery_dates: tuple[date, ...] = ()
    clock_started_at: datetime | None = None
    deadline: datetime | None = None
    emergency_hours: int | None = None
    hazard: Hazard | None = None
    partner_country: str | None = None
    liaison: str | None = None

    @classmethod
    def from_submission(cls, request: PriorityRequest, decision: Decision) -> RequestFacts:
        """The facts after `decide_submission(request)` returned `decision`: the received
        request's facts `updated` by it, built once (a submission's decision is never a
        refusal; were it one, the facts are the received request's, as `updated` leaves them)."""
        ep = request.emergency_preparedness
        hazard = ep.hazard.strip().lower() if ep else None
        refused = decision.outcome is Outcome.REFUSED
        return cls(
            request_id=request.request_id,
            status=RequestStatus.RECEIVED
            if refused
            else STATUS_AFTER.get(decision.outcome, RequestStatus.RECEIVED),
            path=decision.path or Path.NONE,
            requester=request.requester,
            supplier=request.supplier,
            hazard=Hazard(hazard) if hazard in _HAZARDS else None,
            rating=None if refused else decision.rating or None,
            required_delivery_dates=() if refused else decision.required_delivery_dates or (),
            clock_started_at=None if refused else decision.clock_started_at or None,
            deadline=None if refused else decision.deadline or None,
            emergency_hours=None if refused else decision.emergency_hours or None,
            partner_country=None if refused else decision.partner_country or None,
            liaison=None if refused else decision.liaison or None,
        )

    def updated(self, decision: Decision) -> RequestFacts:
        """The facts after `decision`; a refusal changes nothing."""
        if decision.outcome is Outcome.REFUSED:
            return self
        return replace(
            self,
            status=STATUS_AFTER.get(decision.outcome, self.status),
            path=decision.path or self.path,
            rating=decision.rating or self.rating,
            required_delivery_dates=decision.required_delivery_dates
            or self.required_delivery_dates,
            clock_started_at=decision.clock_started_at or self.clock_started_at,
            deadline=decision.deadline or self.deadline,
            emergency_hours=decision.emergency_hours or self.emergency_hours,
            partner_country=decision.partner_country or self.partner_country,
            liaison=decision.liaison or self.liaison,
        )

    def carried(self, outcome: Outcome, findings: list[Finding]) -> Decision:
        """A decision that carries these facts forward with a new outcome and findings."""
        return Decision(
            request_id=self.request_id,
            outcome=outcome,
            path=self.path,
            findings=tuple(findings),
            rating=self.rating,
            required_delivery_dates=self.required_delivery_dates,
            clock_started_at=self.clock_started_at,
            deadline=self.deadline,
            emergency_hours=self.emergency_hours,
            partner_country=self.partner_country,
            liaison=self.liaison,
        )

    def refused(self, *findings: Finding) -> Decision:
        """REFUSED: the command is not allowed; the findings say why."""
        return self.carried(Outcome.REFUSED, list(findings))

    def wrong_state(self, command: str, allowed: frozenset[RequestStatus]) -> Decision:
        """Refuse a command the request's state does not allow."""
        states = ", ".join(sorted(allowed))
        return self.refused(
            finding(
                RuleId.COMMAND_WRONG_STATE,
                f"{command} is not allowed while the request is {self.status}; "
                f"it is allowed when the request is {states}.",
                blocking=True,
            )
        )

    def wrong_path(self, command: str, allowed: frozenset[Path]) -> Decision:
        """Refuse a command the request's path does not allow."""
        paths = ", ".join(sorted(allowed))
        return self.refused(
            finding(
                RuleId.COMMAND_WRONG_PATH,
                f"{command} applies to requests on the {paths} path; this one is on {self.path}.",
                blocking=True,
            )
        )

    def wrong_party(self, command: str, actor: str, entitled: str) -> Decision:
        """Refuse a command given by a party other than the one entitled to give it."""
        return self.refused(
            finding(
                RuleId.COMMAND_WRONG_PARTY,
                f"{command} must come from {entitled}; {actor} is not entitled to give it.",
                blocking=True,
            )
        )
