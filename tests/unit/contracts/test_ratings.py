"""Rating syntax where a rating enters (sosa.contracts.ratings): what no rating is, refused."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from sosa.contracts.ratings import RatingText

RATING = TypeAdapter(RatingText)


@pytest.mark.parametrize("text", ["DO-A1", "DX-A3", "doa1", "DO\u2013C9", " DX-B2 "])
def test_a_rating_in_any_form_the_rules_read_is_taken(text: str) -> None:
    assert RATING.validate_python(text) == text.strip()


@pytest.mark.parametrize("text", ["DQ-A1", "DO-A", "DO-1A", "A1", "DO-A1-X", "DX", "", "D0-A1"])
def test_text_that_is_no_rating_is_refused_citing_700_12_a_1(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RATING.validate_python(text)
    assert text == "" or "15 CFR 700.12(a)(1)" in str(refused.value)
