"""The notifier's words in its OpenAPI document: what each operation does, what each field
means where its model leaves it out, and an example of each request body
(`sosa.infra.api_descriptions`)."""

from __future__ import annotations

from typing import Any, Final

from sosa.infra.api_descriptions import Glossary

E, M, D = "/v1/endpoints", "/v1/email-recipients", "/v1/deliveries"

FIELDS: Final[dict[str, str]] = {
    "AttemptOut.attempt_number": "1 for the first attempt, then 2, 3, ...",
    "AttemptOut.attempted_at": "When the attempt was made (UTC).",
    "AttemptOut.latency_ms": "How long the target took to answer, in milliseconds.",
    "AttemptOut.error": "The error, when the attempt failed (timeout, refused, status).",
    "AttemptOut.response_excerpt": "The first bytes of the target's answer (redacted).",
    "DeliveryOut.delivery_id": "Identifier of the delivery (one message to one target).",
    "DeliveryOut.request_id": "The priority request it is about (null for operator notices).",
    "DeliveryOut.party_id": "The party told.",
    "DeliveryOut.attempts": "Attempts made so far.",
    "DeliveryOut.next_attempt_at": "When the next attempt is due (null: none).",
    "DeliveryOut.delivered_at": "When it was delivered (null: not yet).",
    "DeliveryOut.deadline": "The response deadline the message is about, if any (UTC).",
    "DeliveryOut.escalate_at": "When escalation sends it by another channel if not delivered.",
    "DeliveryOut.escalated_at": "When it was escalated (null: not).",
    "DeliveryOut.escalated_from": "The delivery this one escalates, if any.",
    "DeliveryOut.attempt_log": "Every attempt, oldest first.",
    "DeliveryFailures.since": "The start of the window counted.",
    "DeliveryFailures.targets": "Each endpoint or recipient with failures, worst first.",
    "EndpointCreated.secret": "The signing secret (`whsec_…`); shown only in this answer.",
    "EndpointIn.url": "Where to POST the signed messages (https; private addresses refused).",
    "EndpointIn.description": "The party's own note on the endpoint.",
    "EndpointPatch.url": "A new URL (checked like a new endpoint's).",
    "EndpointPatch.event_types": "The event types it receives (null: every type).",
    "EndpointPatch.description": "The party's own note on the endpoint.",
    "EndpointPatch.mode": "`all` or `fallback`.",
    "EndpointPatch.max_in_flight": "Attempts in flight at once (1-64).",
    "Me.via": "How the caller authenticated: `api_key` or `token`.",
    "EventTypeOut.type": "The type, as a subscription's `event_types` names it.",
    "EventTypeOut.description": "What a message of this type announces.",
    "EventTypeOut.wildcard": "true for `request.*` and `operator.*`: every type under it.",
    "EventTypeOut.operators_only": "true for the operators' notices (listed to operators only).",
    "RecipientIn.party_id": "Defaults to the calling party; operators may name any.",
    "RecipientIn.address": "The e-mail address to send to.",
    "RecipientIn.description": "The party's own note on the recipient.",
    "RecipientPatch.address": "A new address.",
    "RecipientPatch.event_types": "The event types it receives (null: every type).",
    "RecipientPatch.description": "The party's own note on the recipient.",
    "RecipientPatch.mode": "`all` or `fallback`.",
    "RecipientPatch.enabled": "true re-enables a disabled recipient.",
    "RecoverIn.since": "Failed deliveries created from this time (with its offset).",
    "RecoverIn.until": "... until this time (default: now); at most SOSA_RECOVER_MAX_WINDOW_S.",
    "RecoverIn.endpoint_id": "Only this endpoint's deliveries.",
    "RecoverIn.recipient_id": "Only this recipient's deliveries.",
    "RecoverIn.request_id": "Only the deliveries about this request.",
    "Recovered.recovered": "How many failed deliveries were queued again.",
    "Recovered.delivery_ids": "Their ids.",
    "Rotated.endpoint_id": "The endpoint whose secret was rotated.",
    "Rotated.previous_secret_expires_at": "Until when the old secret still signs (UTC).",
    "TargetFailures.target_id": "The endpoint's or recipient's id.",
    "TargetFailures.failed_attempts": "Failed attempts in the window.",
    "TargetFailures.last_failure_at": "When the last attempt failed (UTC).",
    "TargetFailures.failed": "Deliveries failed for good in the window.",
    "TargetFailures.retrying": "Deliveries awaiting a retry now.",
}

SCHEMAS: Final[dict[str, str]] = {
    "AttemptOut": "One attempt of a delivery.",
    "DeliveryFailures": "Failures by webhook endpoint and e-mail recipient over a window.",
    "DeliveryOut": "One message to one endpoint or recipient, with every attempt.",
    "EndpointCreated": "A new webhook endpoint, with its signing secret (shown only here).",
    "EndpointOut": "A webhook endpoint of the party.",
    "EventTypeOut": "An event type of the catalog, with what it announces.",
    "EndpointPatch": "Changes to a webhook endpoint; absent fields stay as they are.",
    "FieldError": "One field at fault and why.",
    "Me": "Who the caller is.",
    "RecipientOut": "An e-mail recipient of the party.",
    "RecipientPatch": "Changes to an e-mail recipient; absent fields stay as they are.",
    "Recovered": "What a recover queued again.",
    "RotateIn": "How long the old secret keeps signing after a rotation.",
    "Rotated": "A new signing secret (shown only here).",
    "TargetFailures": "One endpoint's or recipient's failures.",
}

OPERATIONS: Final[dict[tuple[str, str], str]] = {
    ("post", E): "Add a webhook endpoint for the calling party (operators: for any party). "
    "Messages are signed per Standard Webhooks with the secret this answer shows once. "
    "Private and loopback addresses are refused unless allow-listed.",
    ("get", "/v1/event-types"): "The catalog of event types a subscription may name, with what "
    "each announces (the operators' notices only to operators).",
    ("get", E): "The calling party's webhook endpoints (operators: every party's, or one's).",
    ("get", f"{E}/{{endpoint_id}}"): "One webhook endpoint.",
    ("patch", f"{E}/{{endpoint_id}}"): "Change an endpoint: URL, event types, mode, "
    "concurrency; `enabled: true` re-enables a disabled one.",
    ("delete", f"{E}/{{endpoint_id}}"): "Delete an endpoint; nothing more is sent to it.",
    ("post", f"{E}/{{endpoint_id}}/secret/rotate"): "Rotate the signing secret: the new one "
    "is shown once, the old one keeps signing for the grace period.",
    ("post", M): "Add an e-mail recipient for the calling party (by default only for "
    "escalations: `mode: fallback`).",
    ("get", M): "The calling party's e-mail recipients (operators: every party's, or one's).",
    ("patch", f"{M}/{{recipient_id}}"): "Change an e-mail recipient.",
    ("delete", f"{M}/{{recipient_id}}"): "Delete an e-mail recipient.",
    ("get", D): "The delivery log: messages sent to the caller's endpoints and recipients, "
    "newest first, filtered by request, status, party or time.",
    ("get", f"{D}/{{delivery_id}}"): "One delivery with every attempt and its response excerpt.",
    ("post", f"{D}/{{delivery_id}}/retry"): "Send a failed delivery again now.",
    ("post", f"{D}/recover"): "Send again every failed delivery of a time window (like Svix's "
    "recover), optionally of one endpoint, recipient or request.",
    ("get", "/v1/stream"): "The live stream (Server-Sent Events) of what the calling party is "
    "told; resumes after `Last-Event-ID`.",
    ("get", "/v1/me"): "The calling party and its roles, as its API key or token says.",
    ("get", "/healthz"): "Liveness: the process answers (no dependency checked).",
    ("get", "/readyz"): "Readiness: the database and Kafka answer.",
}

REQUEST_EXAMPLES: Final[dict[tuple[str, str], Any]] = {
    ("post", E): {
        "url": "https://erp.navsea.example/hooks/sosa",
        "event_types": ["request.*"],
        "description": "ERP production",
    },
    ("patch", f"{E}/{{endpoint_id}}"): {"event_types": ["request.routed", "request.escalated"]},
    ("post", f"{E}/{{endpoint_id}}/secret/rotate"): {"grace_period_s": 86400},
    ("post", M): {"address": "orders@acme-valves.example", "mode": "fallback"},
    ("patch", f"{M}/{{recipient_id}}"): {"mode": "all"},
    ("post", f"{D}/recover"): {
        "since": "2027-03-01T00:00:00+00:00",
        "until": "2027-03-02T00:00:00+00:00",
    },
}

AT = "2026-12-01T14:00:06.120Z"
EID = "ep_2f7e4c1e9d570b7a"
_ENDPOINT: Final = {
    "endpoint_id": EID,
    "party_id": "dod-navsea",
    "url": "https://erp.navsea.example/hooks/sosa",
    "event_types": ["request.*"],
    "description": "ERP production",
    "mode": "all",
    "max_in_flight": None,
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failure_streak": 0,
    "failing_since": None,
    "created_at": "2026-11-30T09:05:00Z",
}
_RECIPIENT: Final = {
    "recipient_id": "rc_5d2c9a7b1e03",
    "party_id": "acme-valves",
    "address": "orders@acme-valves.example",
    "event_types": None,
    "description": "order desk",
    "mode": "fallback",
    "enabled": True,
    "created_at": "2026-11-30T09:06:00Z",
}
_DELIVERY: Final = {
    "delivery_id": "dl_0b7a1f3c2e11",
    "event_id": "4059daf6-2f7e-4c1e-9d57-0b7a1f3c2e11-out-1",
    "channel": "webhook",
    "endpoint_id": EID,
    "recipient_id": None,
    "request_id": "4059daf6-2f7e-4c1e-9d57-0b7a1f3c2e11",
    "party_id": "dod-navsea",
    "role": "requester",
    "fields": ["request_id", "sequence", "state", "decision.deadline"],
    "event_type": "request.routed",
    "status": "delivered",
    "attempts": 2,
    "next_attempt_at": None,
    "created_at": AT,
    "delivered_at": "2026-12-01T14:00:11.480Z",
    "last_error": None,
    "deadline": "2026-12-16T04:59:59Z",
    "escalate_at": "2026-12-15T04:59:59Z",
    "escalated_at": None,
    "escalated_from": None,
    "attempt_log": [
        {
            "attempt_number": 1,
            "attempted_at": AT,
            "target": "https://erp.navsea.example/hooks/sosa",
            "status_code": 503,
            "latency_ms": 41,
            "error": "HTTP 503",
            "response_excerpt": "Service Unavailable",
        },
        {
            "attempt_number": 2,
            "attempted_at": "2026-12-01T14:00:11.480Z",
            "target": "https://erp.navsea.example/hooks/sosa",
            "status_code": 204,
            "latency_ms": 12,
            "error": None,
            "response_excerpt": "",
        },
    ],
}

RESPONSE_EXAMPLES: Final[dict[Any, Any]] = {
    "EndpointCreated": {**_ENDPOINT, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    "EndpointOut": _ENDPOINT,
    "Rotated": {
        "endpoint_id": EID,
        "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "previous_secret_expires_at": "2026-12-02T14:00:00Z",
    },
    "RecipientOut": _RECIPIENT,
    "DeliveryOut": _DELIVERY,
    "Recovered": {"recovered": 1, "delivery_ids": ["dl_0b7a1f3c2e11"]},
    "DeliveryFailures": {
        "since": "2026-11-30T14:00:00Z",
        "targets": [
            {
                "channel": "webhook",
                "target_id": EID,
                "party_id": "dod-navsea",
                "target": "https://erp.navsea.example/hooks/sosa",
                "enabled": True,
                "disabled_reason": None,
                "failure_streak": 3,
                "failing_since": "2026-12-01T13:00:00Z",
                "failed_attempts": 7,
                "last_failure_at": AT,
                "failed": 1,
                "retrying": 2,
                "last_error": "HTTP 503",
            }
        ],
    },
    "Me": {"party_id": "dod-navsea", "roles": ["requester"], "via": "api_key"},
    "EventTypeOut": {
        "type": "request.routed",
        "description": "the request was routed to its supplier; its response clock runs",
        "wildcard": False,
        "operators_only": False,
    },
}


GLOSSARY: Final = Glossary(
    fields=FIELDS,
    operations=OPERATIONS,
    schemas=SCHEMAS,
    request_examples=REQUEST_EXAMPLES,
    response_examples=RESPONSE_EXAMPLES,
)
