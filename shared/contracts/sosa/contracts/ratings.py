"""The syntax of a DPAS priority rating, checked where a rating enters (15 CFR 700.12(a)(1)).

Whether the program symbol is one Schedule I lists, and what the rating means for the order, stay
the rules' to decide: this only refuses text that is no rating at all (`DQ-A1`, `DO-A`), so that
the API answers it with a 422 naming the field instead of accepting it and refusing it later.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from sosa.rules.rating import parse_rating


def check_rating(text: str) -> str:
    """`text` itself when it parses as a rating; else ValueError saying what a rating is."""
    if parse_rating(text) is None:
        raise ValueError(
            "not a DPAS priority rating: DO or DX, a hyphen, then the program symbol (a letter "
            "and a digit), e.g. DO-A1 (15 CFR 700.12(a)(1))"
        )
    return text


RatingText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=16, strip_whitespace=True),
    AfterValidator(check_rating),
]
"""A priority rating as a party writes it (DO-A1, DX-A3; ERP forms such as doa1 are accepted)."""
