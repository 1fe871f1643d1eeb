"""The reason codes a supplier may give when it rejects a rated order (15 CFR 700.13(b), (c)).

An unknown code (`TOO_BUSY`) is refused where it enters: a 422 naming `reason`. Whether a listed
code fits the request (a (b)(2) on a DX order, (c)(4) against the US Government, a (b) code
without the earliest date) depends on the request and stays the router's to decide
(`sosa.rules.rejections`), as does conflict with unrated or lower-rated orders, never a reason
(15 CFR 700.13(b)(1), 700.14), which the rules answer with its own refusal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

LOWER_RATED_CONFLICT: Final = "CONFLICT_WITH_UNRATED_OR_LOWER_RATED"


class ReasonCode(StrEnum):
    """A 15 CFR 700.13 rejection reason. Mandatory, with the earliest date the supplier can
    deliver (a counter-offer): `MR_B1_CANNOT_MEET_DATE` (700.13(b)(1)),
    `MR_B2_DO_CONFLICTS_PRIOR_RATED` (700.13(b)(2), DO orders),
    `MR_B3_DX_CONFLICTS_PRIOR_DX` (700.13(b)(3), DX orders),
    `MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY` (700.13(b)(4)). Optional:
    `OR_C1_TERMS_OF_SALE_OR_PAYMENT` (700.13(c)(1)), `OR_C2_ITEM_OR_SERVICE_NOT_OFFERED`
    (700.13(c)(2)), `OR_C3_OWN_USE_ITEM` (700.13(c)(3)), `OR_C4_CUSTOMER_SELF_SUPPLIES`
    (700.13(c)(4), not against the US Government), `OR_C5_WOULD_VIOLATE_DOC_ORDER`
    (700.13(c)(5))."""

    MR_B1_CANNOT_MEET_DATE = "MR_B1_CANNOT_MEET_DATE"
    MR_B2_DO_CONFLICTS_PRIOR_RATED = "MR_B2_DO_CONFLICTS_PRIOR_RATED"
    MR_B3_DX_CONFLICTS_PRIOR_DX = "MR_B3_DX_CONFLICTS_PRIOR_DX"
    MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY = "MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY"
    OR_C1_TERMS_OF_SALE_OR_PAYMENT = "OR_C1_TERMS_OF_SALE_OR_PAYMENT"
    OR_C2_ITEM_OR_SERVICE_NOT_OFFERED = "OR_C2_ITEM_OR_SERVICE_NOT_OFFERED"
    OR_C3_OWN_USE_ITEM = "OR_C3_OWN_USE_ITEM"
    OR_C4_CUSTOMER_SELF_SUPPLIES = "OR_C4_CUSTOMER_SELF_SUPPLIES"
    OR_C5_WOULD_VIOLATE_DOC_ORDER = "OR_C5_WOULD_VIOLATE_DOC_ORDER"


PARAGRAPHS: Final[dict[ReasonCode, str]] = {
    ReasonCode.MR_B1_CANNOT_MEET_DATE: "15 CFR 700.13(b)(1): cannot fill by the required date",
    ReasonCode.MR_B2_DO_CONFLICTS_PRIOR_RATED: (
        "15 CFR 700.13(b)(2): a DO order's date would interfere with accepted DO or DX orders"
    ),
    ReasonCode.MR_B3_DX_CONFLICTS_PRIOR_DX: (
        "15 CFR 700.13(b)(3): a DX order's date would interfere with accepted DX orders"
    ),
    ReasonCode.MR_B4_SAME_DAY_EQUAL_PRIORITY_CAPACITY: (
        "15 CFR 700.13(b)(4): equal-priority orders received the same day cannot all be filled"
    ),
    ReasonCode.OR_C1_TERMS_OF_SALE_OR_PAYMENT: (
        "15 CFR 700.13(c)(1): the customer will not meet established terms of sale or payment"
    ),
    ReasonCode.OR_C2_ITEM_OR_SERVICE_NOT_OFFERED: (
        "15 CFR 700.13(c)(2): an item or service the supplier does not supply or perform"
    ),
    ReasonCode.OR_C3_OWN_USE_ITEM: (
        "15 CFR 700.13(c)(3): an item made only for the supplier's own use"
    ),
    ReasonCode.OR_C4_CUSTOMER_SELF_SUPPLIES: (
        "15 CFR 700.13(c)(4): the customer makes the item itself (not the US Government)"
    ),
    ReasonCode.OR_C5_WOULD_VIOLATE_DOC_ORDER: (
        "15 CFR 700.13(c)(5): would violate a Commerce regulation, official action or order"
    ),
}
"""Each code's paragraph and what it says (the OpenAPI documents carry them as
`x-enum-descriptions`)."""


def never_a_reason(value: Any) -> Any:
    """The conflict with unrated or lower-rated orders is refused saying why (it is a code
    suppliers try); any other value goes on to the enumeration's own check."""
    if isinstance(value, str) and value.strip().upper() == LOWER_RATED_CONFLICT:
        raise ValueError(
            "conflict with previously accepted unrated or lower-rated orders is never a reason to "
            "reject a rated order: reschedule that work (15 CFR 700.13(b)(1), 700.14)"
        )
    return value
