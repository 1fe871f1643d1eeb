"""The lifecycle of a priority-support request (DESIGN.md section 5) and the paths it can take."""

from __future__ import annotations

from enum import StrEnum


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
