"""A rejection's reason is one of the nine 15 CFR 700.13(b)/(c) codes, refused where it enters
otherwise (#26); the conflict with lower-rated orders with the reason it is none."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sosa.contracts.commands import SupplierResponseDetails
from sosa.contracts.reasons import ReasonCode


def answer(reason: str) -> SupplierResponseDetails:
    return SupplierResponseDetails.model_validate(
        {"supplier_party_id": "apex-valves", "kind": "reject", "reason": reason}
    )


@pytest.mark.parametrize("code", list(ReasonCode))
def test_each_listed_code_is_accepted(code: ReasonCode) -> None:
    assert answer(code.value).reason is code


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("TOO_BUSY", "Input should be 'MR_B1_CANNOT_MEET_DATE'"),
        ("B1", "Input should be"),
        (
            "CONFLICT_WITH_UNRATED_OR_LOWER_RATED",
            "reschedule that work (15 CFR 700.13(b)(1), 700.14)",
        ),
    ],
)
def test_anything_else_is_refused_naming_reason(reason: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        answer(reason)
    [error] = refused.value.errors()
    assert error["loc"] == ("reason",)
    assert says in error["msg"]
