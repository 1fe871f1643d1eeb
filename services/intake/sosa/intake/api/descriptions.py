"""Intake's words in its OpenAPI document: what each operation does, what each field means where
its model leaves it out, and an example of each request body (`sosa.infra.api_descriptions`)."""

from __future__ import annotations

from typing import Any, Final

from sosa.infra.api_descriptions import Glossary

R = "/v1/priority-requests/{request_id}"

FIELDS: Final[dict[str, str]] = {
    "AmendmentDetails.kind": "What changes (15 CFR 700.16): schedule, destination, quantity, "
    "design, an agreed change, or the rating.",
    "AmendmentDetails.new_rating": "For a rating change: the new rating (DO or DX plus symbol).",
    "AmendmentDetails.new_delivery_dates": "For a schedule change: the new required delivery "
    "dates, YYYY-MM-DD.",
    "AmendmentDetails.production_started": "Whether the supplier has started production (a "
    "schedule change after it may be refused, 15 CFR 700.16).",
    "AuthorizationDetails.authorized": "true: Commerce authorizes the rating; false: it denies.",
    "CancellationDetails.reason": "Why the request is cancelled, in words.",
    "DeterminationDetails.approved": "true: DoD determines the program supports the request; "
    "false: it denies.",
    "CommandStatus.command_type": "The command's CloudEvents type, e.g. `sosa.command.respond.v1`.",
    "CommandStatus.outcomes": "The outcome events the router recorded for it (empty while "
    "pending).",
    "DeadLetterOut.partition": "Partition of the dead-letter topic.",
    "DeadLetterOut.event_type": "The CloudEvents type of the record given up on.",
    "DeadLetterOut.offset": "Offset of the record in that partition.",
    "DeadLetterOut.at": "When the consumer gave up on the record.",
    "DecisionRecord.outcome": "What the rules decided (routed as a rated order, rejected, ...).",
    "DecisionRecord.findings": "Every rule that applied, with its citation and reason.",
    "DecisionRecord.required_delivery_dates": "The delivery dates the rules accepted.",
    "DecisionRecord.clock_started_at": "When the response clock started (ISO 8601, UTC).",
    "DecisionRecord.reminders": "When reminders are due before the deadline (UTC).",
    "DecisionRecord.partner_country": "The SOSA partner's country, on a partner path.",
    "DecisionRecord.offered_quantity": "The quantity a partial answer offers.",
    "DecisionRecord.late": "true when the answer came after the deadline.",
    "DueRequest.supplier": "The supplier's party id.",
    "DueRequest.requester": "The requester's party id.",
    "EmergencyPreparedness.hours": "Within how many hours the supplier must answer "
    "(15 CFR 700.13(e)).",
    "EmergencyPreparedness.hazard": "Whether the hazard has `occurred` or is `imminent`.",
    "EmergencyPreparedness.statement": "The 15 CFR 700.12(b) statement as the order words it.",
    "Evaluation.parties": "Who would be involved: requester, supplier, liaison, authority.",
    "FieldError.reason": "Why the value was refused.",
    "Figures.figure": "Which figure: concentration, redundancy-gaps, rates, answer-times, "
    "counter-offers.",
    "Figures.method": "How the figure is computed, in words (docs/analytics.md).",
    "Figures.period": "The period the figure covers.",
    "Figures.computed_at": "When it was computed (UTC).",
    "Figures.requests": "How many of the viewer's requests it counts.",
    "Figures.total_rows": "How many rows the figure has in all; `rows` holds the first `limit`.",
    "Figures.rows": "The figure's rows, one per group.",
    "Finding.rule_id": "Stable id of the rule (docs/rules.md).",
    "Finding.citation": "The paragraph it applies, e.g. `15 CFR 700.13(d)(1)`.",
    "Finding.reason": "What the rule found, in words, for this request.",
    "Finding.blocking": "true: the finding refuses the request or command.",
    "KeyIssued.party_id": "The party the key authenticates.",
    "LagOut.service": "The service whose consumer group it is.",
    "LagOut.group": "The consumer group.",
    "LagOut.partitions": "Lag per partition: the records not yet committed.",
    "LineItem.description": "What is ordered.",
    "LineItem.quantity": "How many (up to 4 decimals).",
    "LineItem.unit": "Unit of measure, e.g. `EA`.",
    "LineItem.nsn": "NATO stock number, 13 digits (hyphens optional).",
    "Me.via": "How the caller authenticated: `api_key` or `token`.",
    "Parties.liaison": "The partner's liaison office, on a partner path.",
    "Parties.pending_authority": "The authority whose decision is awaited, if any.",
    "PartyIn.party_id": "The new party's identifier (letters, digits, `._:-`).",
    "PartyOut.disabled": "true: the party's keys and tokens are refused.",
    "PartyOut.country": "The party's country (ISO 3166-1 alpha-2).",
    "PartyOut.timezone": "The party's IANA time zone (suppliers: where its deadlines fall).",
    "PartyOut.code_of_conduct_signatory": "Whether a partner firm signed its Code of Conduct.",
    "PartyOut.api_keys": "The party's API keys (never the keys themselves).",
    "PartyRow.party_id": "The requester or supplier.",
    "PipelineOut.lag": "Each consumer group's lag.",
    "PipelineOut.lag_measured_at": "When the lag was measured (UTC).",
    "PipelineOut.dead_letters_by_consumer": "Dead letters per consumer that gave up on them.",
    "PipelineOut.dead_letters_read_at": "When the dead-letter topics were read (UTC).",
    "PostureAccepted.previous": "The posture in force before.",
    "PostureIn.posture": "The posture to set: `peacetime`, `emergency` or `armed_conflict`.",
    "PostureSettingsOut.voluntary_target_working_days": "The voluntary path's answer target.",
    "PostureSettingsOut.reminder_fractions": "When reminders fall, as fractions of the clock.",
    "PostureSettingsOut.reminder_working_days_before": "Reminders this many working days "
    "before the deadline.",
    "PostureSettingsOut.escalation_margin_working_days": "Escalate this many working days "
    "before the deadline.",
    "PostureSettingsOut.retry_interval_factor": "Webhook retry intervals multiplied by this.",
    "PostureSettingsOut.second_channel_factor": "A second channel is tried this much earlier.",
    "PostureSettingsOut.highlight": "How the dashboard colours the posture.",
    "Postures.global": "The posture in force for every partner without one of its own.",
    "Postures.dpas_limits_unchanged": "Always true: no posture changes the DPAS limits of "
    "15 CFR 700.13(d), (e).",
    "PriorityRequestDetails.contract_number": "The contract or order number.",
    "PriorityRequestDetails.rating": "The DPAS rating, DO or DX plus a Schedule I symbol, e.g. "
    "`DX-A3` (15 CFR 700.12(a)(1)); none on the voluntary path.",
    "PriorityRequestDetails.items": "The line items ordered (1-200).",
    "PriorityRequestDetails.required_delivery_dates": "One or more specific delivery dates, "
    "YYYY-MM-DD (15 CFR 700.12(a)(2)).",
    "PriorityRequestDetails.authorized_signer": "Name and title of the official who signs "
    "(15 CFR 700.12(a)(3)).",
    "PriorityRequestDetails.certification_statement": "The rated-order certification "
    "(15 CFR 700.12(a)(4)).",
    "PriorityRequestDetails.emergency_preparedness": "For an emergency-preparedness order: its "
    "15 CFR 700.12(b) statement.",
    "PriorityRequestDetails.notes": "Free text for the supplier.",
    "RequestPage.limit": "The page size asked for.",
    "RequestSummary.requester": "The requester's party id.",
    "RequestSummary.supplier": "The supplier's party id.",
    "RequestView.requester": "The requester's party id.",
    "RequestView.supplier": "The supplier's party id.",
    "RequestView.timeline": "Every outcome event of the request, oldest first.",
    "Requester.party_id": "The requester's party id (must be the caller's).",
    "Requester.name": "The requester's display name.",
    "ScopePosture.set_by": "The operator who set it.",
    "ScopePosture.set_at": "When it was set (UTC).",
    "ScopePosture.settings": "What the posture changes (reminders, targets, retries).",
    "SubmissionAccepted.state": "`received`: queued for the router.",
    "Summary.as_of": "When the summary was computed (UTC).",
    "Summary.by_state": "Requests per state.",
    "Summary.overdue_count": "Requests past their deadline without an answer.",
    "Summary.due_within_working_days": "The horizon of `due_soon`, in working days.",
    "Summary.due_soon_count": "Requests due within that horizon.",
    "Summary.by_requester": "Counts per requester.",
    "Summary.by_supplier": "Counts per supplier.",
    "Supplier.party_id": "The supplier's party id.",
    "Supplier.name": "The supplier's name.",
    "SupplierResponseDetails.supplier_party_id": "The answering supplier (the caller's party).",
    "SupplierResponseDetails.kind": "`accept` or `reject` (DPAS); `accept`, `partial` or "
    "`decline` (voluntary).",
    "SupplierResponseDetails.explanation": "The supplier's explanation, in words.",
    "SupplierResponseDetails.accepted_quantity": "For a partial answer: the quantity accepted.",
    "TimelineEntry.event_id": "The outcome event's id.",
    "TimelineEntry.kind": "transition, refused, reminder or escalated.",
    "TimelineEntry.occurred_at": "When it happened (UTC).",
    "TimelineEntry.decision": "The decision the event carries, if any.",
    "WorkOrder.supplier_id": "The supplier whose work order it is.",
    "WorkOrder.orders": "Its rated orders in the order to work them (15 CFR 700.14): one page.",
    "WorkOrderEntry.position": "Place in the work order (1 first).",
}

SCHEMAS: Final[dict[str, str]] = {
    "AnswerOptionsOut": "The answers a request's supplier may give now (the workspace's form).",
    "ReasonCodeOut": "One 15 CFR 700.13 reason code valid for the request, with its paragraph.",
    "Replayed": "What a dead-letter replay sent back.",
    "CancellationDetails": "A cancellation of a request by its requester or by Commerce.",
    "DeadLetterOut": "A record a consumer gave up on, on its dead-letter topic.",
    "DueRequest": "A request due soon or overdue.",
    "FieldError": "One field at fault and why.",
    "Figures": "A resilience figure over the viewer's requests (docs/analytics.md).",
    "KeyIn": "A new API key for the party.",
    "KeyIssued": "A new API key: the key is shown only in this answer.",
    "KeyOut": "An API key of the party (never the key itself).",
    "LagOut": "A consumer group's lag, from the broker's committed offsets.",
    "LineItem": "One line of the order.",
    "Me": "Who the caller is.",
    "PartyIn": "A new party of the exchange.",
    "PartyOut": "A party with its registered facts and API keys.",
    "PartyPage": "A page of parties.",
    "PartyRow": "Counts for one requester or supplier.",
    "Period": "A time window.",
    "PostureAccepted": "A posture change, queued for the router.",
    "PostureIn": "The posture to set for a scope.",
    "PostureSettingsOut": "What a posture changes.",
    "Requester": "The requesting authority.",
    "ScopePosture": "The posture in force for one scope.",
    "Supplier": "The supplier addressed.",
}

OPERATIONS: Final[dict[tuple[str, str], str]] = {
    ("post", f"{R}/responses"): "The supplier named in the request answers it. On the DPAS "
    "path: accept, or reject with one of the nine 15 CFR 700.13(b)/(c) reason codes (a (b) code "
    "with `earliest_delivery_date`: a counter-offer); on the voluntary path: accept, partial or "
    "decline. Answered 202 once stored; the router decides whether the answer fits the request "
    "and records the outcome (`Location`: the command's status).",
    ("post", f"{R}/amendments"): "The requester (or Commerce) amends the request "
    "(15 CFR 700.16): its schedule, destination, quantity, design or rating. Answered 202 once "
    "stored; the router decides whether the change is allowed in the request's state.",
    ("post", f"{R}/cancellation"): "The requester (or Commerce) cancels the request. Answered "
    "202 once stored; the router refuses it when the request is already closed.",
    ("post", f"{R}/determination"): "DoD records its program determination on a partner's "
    "request awaiting it (grant or deny). Answered 202 once stored; the router applies it.",
    ("post", f"{R}/authorization"): "Commerce (BIS) records its rating authorization on a "
    "partner's request awaiting it: the rating it authorizes, or a denial. Answered 202 once "
    "stored; the router applies it and starts the response clock.",
    ("get", f"{R}/commands/{{command_id}}"): "Whether a command is pending, applied or refused, "
    "with the outcome events the router recorded for it.",
    ("get", "/v1/me"): "The calling party and its roles, as its API key or token says.",
    ("post", "/v1/parties"): "Operators register a party with its roles and facts.",
    ("get", "/v1/parties"): "Operators list the parties, a page at a time.",
    ("get", "/v1/parties/{party_id}"): "A party with its facts and API keys (operators, or the "
    "party itself).",
    ("patch", "/v1/parties/{party_id}"): "Operators change a party's name, roles or facts.",
    ("post", "/v1/parties/{party_id}/api-keys"): "Issue an API key for the party; the key is "
    "shown only in this answer.",
    ("delete", "/v1/parties/{party_id}/api-keys/{key_id}"): "Revoke an API key at once.",
    ("get", "/v1/posture"): "The posture in force, globally and for each partner that has one "
    "of its own, with what it changes.",
    ("get", "/v1/analytics/concentration"): "Supplier concentration over the viewer's "
    "requests, by program or item (docs/analytics.md).",
    ("get", "/v1/analytics/redundancy-gaps"): "Programs or items with one supplier only.",
    ("get", "/v1/analytics/rates"): "Overdue and rejection rates, by requester or supplier.",
    ("get", "/v1/analytics/answer-times"): "How long suppliers take to answer, in hours.",
    ("get", "/v1/analytics/counter-offers"): "How far counter-offers move the delivery date.",
    ("get", "/healthz"): "Liveness: the process answers (no dependency checked).",
    ("get", "/readyz"): "Readiness: the database and Kafka answer.",
}

_REQUEST: Final[dict[str, Any]] = {
    "requester": {"party_id": "dod-navsea"},
    "supplier": {"party_id": "acme-valves", "name": "Acme Valves Inc."},
    "contract_number": "N00024-27-C-0001",
    "rating": "DX-A3",
    "items": [{"description": "ball valve, 2 inch", "quantity": "40", "unit": "EA"}],
    "required_delivery_dates": ["2027-03-01"],
    "authorized_signer": "J. Smith, Contracting Officer",
    "certification_statement": "This is a rated order certified for national defense use, and "
    "you are required to follow all the provisions of the Defense Priorities and Allocations "
    "System regulation (15 CFR 700).",
}

REQUEST_EXAMPLES: Final[dict[tuple[str, str], Any]] = {
    ("post", "/v1/priority-requests"): _REQUEST,
    ("post", "/v1/priority-requests/evaluate"): _REQUEST,
    ("post", f"{R}/responses"): {
        "supplier_party_id": "acme-valves",
        "kind": "reject",
        "reason": "MR_B1_CANNOT_MEET_DATE",
        "earliest_delivery_date": "2027-04-15",
        "explanation": "Forgings arrive in April.",
    },
    ("post", f"{R}/amendments"): {
        "issued_by": "dod-navsea",
        "kind": "schedule_change",
        "new_delivery_dates": ["2027-04-01"],
    },
    ("post", f"{R}/cancellation"): {"issued_by": "dod-navsea", "reason": "Requirement withdrawn."},
    ("post", f"{R}/determination"): {
        "authority_party_id": "dod-dpas-office",
        "approved": True,
        "reference": "DET-2027-0042",
    },
    ("post", f"{R}/authorization"): {
        "authority_party_id": "doc-bis",
        "authorized": True,
        "reference": "BIS-2027-0042",
        "rating": "DO-A1",
    },
    ("post", "/v1/parties"): {
        "party_id": "navair-pma",
        "name": "NAVAIR program office",
        "roles": ["requester"],
        "kind": "us_dod",
        "country": "US",
    },
    ("patch", "/v1/parties/{party_id}"): {"timezone": "America/Chicago"},
    ("post", "/v1/parties/{party_id}/api-keys"): {"label": "erp-prod"},
    ("put", "/v1/posture/{scope}"): {"posture": "emergency", "reason": "Exercise STEEL HAND."},
}

RID = "4059daf6-2f7e-4c1e-9d57-0b7a1f3c2e11"
CID = "294ba89f-6a1c-4b0e-8f4e-5d2c9a7b1e03"
AT = "2026-12-01T14:00:04.460479Z"
LINK = f"/v1/priority-requests/{RID}"
VERSION = "sosa-rules/2026.12-1 (15CFR700@2024-08-21)"
_FINDINGS: Final = [
    {
        "rule_id": "DPAS_PATH_US_ORDER",
        "citation": "15 CFR 700.13(a)(1)",
        "reason": "A US DoD rated order to a US supplier is governed by DPAS (15 CFR 700).",
        "blocking": False,
    },
    {
        "rule_id": "DPAS_700_13_D1_DX_10_WORKING_DAYS",
        "citation": "15 CFR 700.13(d)(1)",
        "reason": "A DX-rated order must be accepted or rejected within 10 working days.",
        "blocking": False,
    },
]
_DECISION: Final = {
    "outcome": "dpas_rated_order",
    "findings": _FINDINGS,
    "rating": "DX-A3",
    "required_delivery_dates": ["2027-03-01"],
    "clock": "working_days",
    "clock_started_at": AT,
    "deadline": "2026-12-16T04:59:59Z",
    "deadline_local": "2026-12-15T23:59:59-05:00",
    "supplier_timezone": "America/New_York",
    "reminders": ["2026-12-09T04:59:59Z", "2026-12-15T04:59:59Z"],
    "late": False,
    "ruleset_version": VERSION,
}
_SUMMARY: Final = {
    "request_id": RID,
    "state": "routed",
    "path": "dpas",
    "rating": "DX-A3",
    "rating_level": "DX",
    "requester": "dod-navsea",
    "supplier": "acme-valves",
    "deadline": "2026-12-16T04:59:59Z",
    "deadline_local": "2026-12-15T23:59:59-05:00",
    "supplier_timezone": "America/New_York",
    "required_delivery_date": "2027-03-01",
    "received_at": AT,
    "updated_at": "2026-12-01T14:00:05.102Z",
    "links": {"self": LINK},
}
_ENTRY: Final = {
    "event_id": f"{RID}-out-1",
    "sequence": 1,
    "kind": "transitioned",
    "type": "sosa.outcome.transitioned.v1",
    "state": "routed",
    "previous_state": "received",
    "occurred_at": "2026-12-01T14:00:05.102Z",
    "caused_by": "860d02ea-1b3c-4d5e-8f90-a1b2c3d4e5f6",
    "decision": _DECISION,
}
_PARTY: Final = {
    "party_id": "acme-valves",
    "name": "Acme Valves Inc.",
    "roles": ["supplier"],
    "disabled": False,
    "kind": "us_supplier",
    "country": "US",
    "timezone": "America/New_York",
    "code_of_conduct_signatory": None,
    "created_at": "2026-11-30T09:00:00Z",
    "updated_at": "2026-11-30T09:00:00Z",
    "api_keys": [
        {
            "key_id": "k-7f3a",
            "label": "erp-prod",
            "created_at": "2026-11-30T09:01:00Z",
            "revoked_at": None,
        }
    ],
}
_DUE: Final = {
    "request_id": RID,
    "state": "routed",
    "requester": "dod-navsea",
    "supplier": "acme-valves",
    "rating": "DX-A3",
    "deadline": "2026-12-16T04:59:59Z",
    "deadline_local": "2026-12-15T23:59:59-05:00",
    "supplier_timezone": "America/New_York",
}
_SETTINGS: Final = {
    "voluntary_target_working_days": None,
    "reminder_fractions": [0.5],
    "reminder_working_days_before": 1,
    "escalation_margin_working_days": 0,
    "retry_interval_factor": 1.0,
    "second_channel_factor": 1.0,
    "highlight": "none",
}

RESPONSE_EXAMPLES: Final[dict[Any, Any]] = {
    "SubmissionAccepted": {
        "request_id": RID,
        "command_id": "860d02ea-1b3c-4d5e-8f90-a1b2c3d4e5f6",
        "state": "received",
        "received_at": AT,
        "links": {"self": LINK},
    },
    "RequestPage": {"items": [_SUMMARY], "next_cursor": None, "limit": 50},
    "Evaluation": {
        "state": "routed",
        "path": "dpas",
        "decision": _DECISION,
        "parties": {
            "requester": "dod-navsea",
            "supplier": "acme-valves",
            "liaison": None,
            "pending_authority": None,
        },
        "evaluated_at": AT,
    },
    "RequestView": {
        **_SUMMARY,
        "last_sequence": 1,
        "details": {
            "requester": {"party_id": "dod-navsea", "kind": "us_dod", "country": "US"},
            "supplier": {
                "party_id": "acme-valves",
                "name": "Acme Valves Inc.",
                "country": "US",
                "timezone": "America/New_York",
            },
            "rating": "DX-A3",
            "items": [{"description": "ball valve, 2 inch", "quantity": "40", "unit": "EA"}],
            "required_delivery_dates": ["2027-03-01"],
        },
        "decision": _DECISION,
        "timeline": [_ENTRY],
    },
    "CommandAccepted": {
        "request_id": RID,
        "command_id": CID,
        "command_type": "sosa.command.respond.v1",
        "received_at": AT,
        "links": {"self": f"{LINK}/commands/{CID}", "request": LINK},
    },
    "CommandStatus": {
        "command_id": CID,
        "request_id": RID,
        "command_type": "sosa.command.respond.v1",
        "received_at": AT,
        "status": "applied",
        "body": {"supplier_party_id": "acme-valves", "kind": "accept"},
        "outcomes": [
            {
                **_ENTRY,
                "sequence": 2,
                "state": "accepted",
                "previous_state": "routed",
                "caused_by": CID,
            }
        ],
        "links": {"self": f"{LINK}/commands/{CID}", "request": LINK},
    },
    "WorkOrder": {
        "supplier_id": "acme-valves",
        "orders": [
            {
                "position": 1,
                "request_id": RID,
                "path": "dpas",
                "rating": "DX-A3",
                "rating_level": "DX",
                "required_delivery_date": "2027-03-01",
                "received_at": AT,
                "rated_as_of": AT,
                "contract_number": "N00024-27-C-0001",
                "links": {"self": LINK},
            }
        ],
        "findings": [
            {
                "rule_id": "DPAS_700_14_C1_DELIVERY_DATE_ORDER",
                "citation": "15 CFR 700.14(c)(1)",
                "reason": "Equal priority: the earliest required delivery date first.",
                "blocking": False,
            }
        ],
        "ruleset_version": VERSION,
        "next_cursor": None,
        "limit": 100,
    },
    "Me": {"party_id": "dod-navsea", "roles": ["requester"], "via": "api_key"},
    "PartyOut": _PARTY,
    "PartyPage": {"items": [_PARTY], "next_after": None},
    "KeyIssued": {
        "key_id": "k-7f3a",
        "label": "erp-prod",
        "created_at": "2026-11-30T09:01:00Z",
        "revoked_at": None,
        "party_id": "acme-valves",
        "api_key": "sosa_k-7f3a_Qm9vb3RzdHJhcC1leGFtcGxlLWtleQ",
    },
    "Summary": {
        "as_of": AT,
        "total": 12,
        "by_state": {"routed": 7, "accepted": 4, "overdue": 1},
        "by_path": {"dpas": 10, "voluntary": 2},
        "overdue": [{**_DUE, "state": "overdue"}],
        "overdue_count": 1,
        "due_within_working_days": 3,
        "due_by": "2026-12-04T04:59:59Z",
        "due_soon": [_DUE],
        "due_soon_count": 1,
        "by_requester": [{"party_id": "dod-navsea", "total": 12, "open": 8, "overdue": 1}],
        "by_supplier": [{"party_id": "acme-valves", "total": 12, "open": 8, "overdue": 1}],
    },
    "PipelineOut": {
        "lag": [
            {
                "service": "router",
                "group": "sosa-router",
                "topic": "sosa.requests.v1",
                "lag": 0,
                "partitions": 3,
            }
        ],
        "lag_measured_at": AT,
        "dead_letters": {"sosa.outcomes.v1.dlq": 1},
        "dead_letters_by_consumer": {"intake": 1},
        "recent_dead_letters": [
            {
                "topic": "sosa.outcomes.v1.dlq",
                "partition": 0,
                "offset": 0,
                "at": AT,
                "consumer": "intake",
                "event_type": "sosa.outcome.transitioned.v1",
                "original": "sosa.outcomes.v1/2/118",
                "error": "ValidationError: decision.deadline: year 9999 is outside 1900-2200",
            }
        ],
        "dead_letters_read_at": AT,
        "error": None,
    },
    "Postures": {
        "global": {
            "scope": "global",
            "posture": "peacetime",
            "reason": None,
            "set_by": None,
            "set_at": None,
            "settings": _SETTINGS,
        },
        "partners": [],
        "dpas_limits_unchanged": "No posture changes the 15 CFR 700.13(d), (e) limits.",
    },
    "PostureAccepted": {
        "scope": "global",
        "posture": "emergency",
        "previous": "peacetime",
        "command_id": CID,
        "received_at": AT,
    },
    "Figures": {
        "figure": "answer-times",
        "method": "Time from routing to the supplier's first answer, in hours; median and 90th "
        "percentile over the answered requests received in the period.",
        "period": {"since": "2026-11-01T00:00:00Z", "until": None},
        "computed_at": AT,
        "requests": 12,
        "total_rows": 1,
        "rows": [{"path": "dpas", "answered": 9, "median_hours": 5.5, "p90_hours": 30.0}],
    },
    "AnswerOptionsOut": {
        "request_id": RID,
        "path": "dpas",
        "kinds": ["accept", "reject"],
        "reason_codes": [
            {
                "code": "MR_B1_CANNOT_MEET_DATE",
                "paragraph": "15 CFR 700.13(b)(1)",
                "says": "the supplier cannot fill the order by the required date",
                "needs_earliest_date": True,
            },
            {
                "code": "OR_C2_ITEM_OR_SERVICE_NOT_OFFERED",
                "paragraph": "15 CFR 700.13(c)(2)",
                "says": "the order is for an item the supplier does not supply",
                "needs_earliest_date": False,
            },
        ],
    },
    "Replayed": {"topic": "sosa.requests.v1", "replayed": 2},
}


GLOSSARY: Final = Glossary(
    fields=FIELDS,
    operations=OPERATIONS,
    schemas=SCHEMAS,
    request_examples=REQUEST_EXAMPLES,
    response_examples=RESPONSE_EXAMPLES,
)
