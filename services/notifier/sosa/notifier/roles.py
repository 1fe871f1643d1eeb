"""Data minimisation: which fields of an outcome each recipient role receives (pure: no I/O).

A field is named by its dotted path in the webhook's `data` (`decision.deadline`). What is not
listed for a role is never sent to it; the delivery row records the fields that did go out.
"""

from __future__ import annotations

from typing import Any, Final, Literal

Role = Literal["requester", "supplier", "authority", "partner_liaison", "operator"]
ROLES: Final[tuple[Role, ...]] = (
    "requester",
    "supplier",
    "authority",
    "partner_liaison",
    "operator",
)

_NESTED: Final = frozenset({"decision", "parties"})  # chosen field by field; others whole
_EVERY_ROLE: Final = frozenset(
    {"request_id", "sequence", "state", "previous_state", "path", "occurred_at"}
)
_RULES: Final = frozenset({"decision.outcome", "decision.findings", "decision.ruleset_version"})
_CLOCK: Final = frozenset(
    {
        "decision.clock",
        "decision.clock_started_at",
        "decision.deadline",
        "decision.deadline_local",
        "decision.supplier_timezone",
        "decision.reminders",
        "decision.early_escalation_at",
        "decision.late",
    }
)
_ORDER: Final = frozenset({"decision.rating", "decision.required_delivery_dates"})
_ANSWER: Final = frozenset({"decision.offered_date", "decision.offered_quantity"})
_ESCALATION: Final = frozenset({"escalated_to", "early", "suggestion", "facts"})

FIELDS: Final[dict[Role, frozenset[str] | None]] = {
    # the requester placed the request: everything about it, except which command caused what
    "requester": _EVERY_ROLE
    | _RULES
    | _CLOCK
    | _ORDER
    | _ANSWER
    | _ESCALATION
    | {
        "decision.awaiting",
        "decision.partner_country",
        "parties.supplier",
        "parties.liaison",
        "parties.pending_authority",
        "command_type",
        "actor",
        "due_at",
    },
    # the supplier must answer in time: the order, the rules and its clock; not the authorities'
    # pending work, not the escalation facts gathered against it (a BIS-999 is the requester's)
    "supplier": _EVERY_ROLE
    | _RULES
    | _CLOCK
    | _ORDER
    | _ANSWER
    | {"parties.requester", "parties.liaison", "command_type", "due_at"},
    # an authority decides a determination or an authorization: who asks whom for what, and why
    "authority": _EVERY_ROLE
    | _RULES
    | _ORDER
    | {
        "decision.awaiting",
        "decision.partner_country",
        "parties.requester",
        "parties.supplier",
        "command_type",
    },
    # the liaison relays and chases, government to government: no US rating, no BIS facts needs
    "partner_liaison": _EVERY_ROLE
    | _RULES
    | _CLOCK
    | _ANSWER
    | _ESCALATION
    | {
        "decision.partner_country",
        "decision.required_delivery_dates",
        "parties.requester",
        "parties.supplier",
        "command_type",
        "due_at",
    },
    "operator": None,  # operators see everything
}


def minimise(full: dict[str, Any], role: Role) -> tuple[dict[str, Any], list[str]]:
    """The part of `full` that `role` may receive, and the dotted names of the fields kept."""
    allowed = FIELDS[role]
    data: dict[str, Any] = {}
    sent: list[str] = []
    for key, value in full.items():
        if key in _NESTED and isinstance(value, dict):
            inner = {k: v for k, v in value.items() if allowed is None or f"{key}.{k}" in allowed}
            if inner:
                data[key] = inner
                sent.extend(f"{key}.{k}" for k in inner)
        elif allowed is None or key in allowed:
            data[key] = value
            sent.append(key)
    return data, sorted(sent)
