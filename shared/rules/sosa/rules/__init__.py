"""sosa.rules: the pure DPAS (15 CFR 700) and SOSA Code-of-Conduct rules of the exchange.

Standard library, packaged data files and `holidays` only; time is always an argument. Every
`decide_*` entry point returns a `Decision` with its outcome, the rules that fired (stable ids
with citations), readable reasons and `RULESET_VERSION`.
"""

from __future__ import annotations

from .amendments import decide_amendment
from .authorities import decide_authorization, decide_determination
from .catalog import CATALOG, Confidence, Rule, rule
from .clock_rules import ClockRules, Hazard
from .commands import (
    Amendment,
    AmendmentKind,
    Authorization,
    Determination,
    ResponseKind,
    SupplierResponse,
)
from .datafiles import DataFileError
from .deadlines import ResponseClock, end_of_working_day, response_clock, voluntary_clock
from .decision import Authority, ClockKind, Decision, Finding, Outcome, Path
from .elements import ElementsCheck, check_elements
from .facts import RequestFacts, RequestStatus
from .partners import Partner, PartnerRegistry
from .posture import (
    GLOBAL,
    Highlight,
    Plan,
    Posture,
    PostureBoard,
    PostureBook,
    PostureInForce,
    PostureSettings,
    decide_early_escalation,
    plan,
)
from .priority_request import (
    EmergencyPreparedness,
    PriorityRequest,
    Requester,
    RequesterKind,
    Supplier,
)
from .rating import Level, Rating, parse_rating
from .rejections import RejectionReason
from .responses import decide_overdue, decide_response
from .rule_ids import RuleId
from .schedule_i import Program, ScheduleI
from .scheduling import ScheduledOrder, WorkPlan, schedule_key, work_order
from .submission import decide_submission
from .version import REGULATION_VERSION, RULESET_VERSION
from .working_days import WorkingCalendar

__all__ = [
    "CATALOG",
    "GLOBAL",
    "REGULATION_VERSION",
    "RULESET_VERSION",
    "Amendment",
    "AmendmentKind",
    "Authority",
    "Authorization",
    "ClockKind",
    "ClockRules",
    "Confidence",
    "DataFileError",
    "Decision",
    "Determination",
    "ElementsCheck",
    "EmergencyPreparedness",
    "Finding",
    "Hazard",
    "Highlight",
    "Level",
    "Outcome",
    "Partner",
    "PartnerRegistry",
    "Path",
    "Plan",
    "Posture",
    "PostureBoard",
    "PostureBook",
    "PostureInForce",
    "PostureSettings",
    "PriorityRequest",
    "Program",
    "Rating",
    "RejectionReason",
    "RequestFacts",
    "RequestStatus",
    "Requester",
    "RequesterKind",
    "ResponseClock",
    "ResponseKind",
    "Rule",
    "RuleId",
    "ScheduleI",
    "ScheduledOrder",
    "Supplier",
    "SupplierResponse",
    "WorkPlan",
    "WorkingCalendar",
    "check_elements",
    "decide_amendment",
    "decide_authorization",
    "decide_determination",
    "decide_early_escalation",
    "decide_overdue",
    "decide_response",
    "decide_submission",
    "end_of_working_day",
    "parse_rating",
    "plan",
    "response_clock",
    "rule",
    "schedule_key",
    "voluntary_clock",
    "work_order",
]
