"""Which answers a supplier may give to one request, as a form offers them (pure).

The same rules `decide_response` applies, read the other way round: on a DPAS path 15 CFR
700.13 allows acceptance or a rejection for a reason of 700.13(b) (with the earliest date the
supplier can deliver) or 700.13(c); (b)(2) is for DO orders only and (b)(3) for DX orders only
(`rejections._level_problem`); (c)(4) does not apply when the customer is the US Government;
conflict with unrated or lower-rated orders is never a reason (700.13(b)(1)). On the voluntary
path a partner firm accepts, accepts in part or declines in free text under its Code of
Conduct: no 700.13 code applies (15 CFR 700.57(a)). Other paths take no answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .decision import Path
from .priority_request import RequesterKind
from .rating import Level
from .rejections import MANDATORY, OPTIONAL, RejectionReason
from .responses import DPAS_PATHS


@dataclass(frozen=True, slots=True)
class ReasonOption:
    code: str
    paragraph: str
    """Where 15 CFR 700.13 lists it, e.g. `15 CFR 700.13(b)(1)`."""
    says: str
    needs_earliest_date: bool
    """(b)(1)-(b)(4): the rejection states the earliest date the supplier can deliver."""


@dataclass(frozen=True, slots=True)
class AnswerOptions:
    path: Path | None
    kinds: tuple[str, ...]
    """The answer kinds the path takes (`accept`, `reject`, `partial`, `decline`)."""
    reasons: tuple[ReasonOption, ...]
    """The rejection reason codes valid for this request (none off the DPAS paths)."""


def paragraph(reason: RejectionReason) -> str:
    """`B1_CANNOT_MEET_DATE` is 15 CFR 700.13(b)(1)."""
    letter, number = reason.name[0].lower(), reason.name[1]
    return f"15 CFR 700.13({letter})({number})"


def answer_options(
    path: Path | None, *, level: Level | None, requester_kind: RequesterKind | None
) -> AnswerOptions:
    """The answers `decide_response` could accept for a request on `path` rated at `level`
    from a requester of `requester_kind` (its state aside: the router decides that)."""
    if path in DPAS_PATHS:
        mandatory = [
            ReasonOption(reason.value, paragraph(reason), says, needs_earliest_date=True)
            for reason, (_, _, says) in MANDATORY.items()
            if not _wrong_level(reason, level)
        ]
        optional = [
            ReasonOption(reason.value, paragraph(reason), says, needs_earliest_date=False)
            for reason, (_, says) in OPTIONAL.items()
            if not (
                reason is RejectionReason.C4_CUSTOMER_SELF_SUPPLIES
                and requester_kind is RequesterKind.US_DOD
            )
        ]
        return AnswerOptions(path, ("accept", "reject"), (*mandatory, *optional))
    if path is Path.VOLUNTARY:
        return AnswerOptions(path, ("accept", "partial", "decline"), ())
    return AnswerOptions(path, (), ())


def _wrong_level(reason: RejectionReason, level: Level | None) -> bool:
    if reason is RejectionReason.B2_DO_CONFLICTS_PRIOR_RATED:
        return level is Level.DX
    if reason is RejectionReason.B3_DX_CONFLICTS_PRIOR_DX:
        return level is Level.DO
    return False
