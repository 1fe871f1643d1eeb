"""The lifecycle of a priority-support request and the paths it can take (docs/architecture.md,
"The path of a request"), with the sets of states that more than one service reasons about."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class RequestState(StrEnum):
    """Where a request stands. The router owns it; every change is one outcome event."""

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


class RoutePath(StrEnum):
    """Which arrangement carries the request."""

    DPAS = "dpas"
    DPAS_VIA_SOSA = "dpas_via_sosa"
    VOLUNTARY = "voluntary"
    NONE = "none"


BEFORE_ROUTING: Final = frozenset(
    {
        RequestState.RECEIVED,
        RequestState.AWAITING_DETERMINATION,
        RequestState.AWAITING_AUTHORIZATION,
        RequestState.REJECTED,
    }
)
"""States of a request the router has not (yet) routed to its supplier: received, still with
the authorities (DoD's determination, Commerce's authorization), or rejected at routing. Such a
request is not yet an order: it carries no rating in force and its supplier is not involved
(`sosa.contracts.involvement`)."""

RATED_PATHS: Final = frozenset({RoutePath.DPAS, RoutePath.DPAS_VIA_SOSA})
"""Paths on which a routed request is a DPAS rated order (15 CFR 700.3)."""
