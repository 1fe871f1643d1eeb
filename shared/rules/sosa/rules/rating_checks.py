"""Is the rating valid (15 CFR 700.12(a)(1)), and what does Schedule I say of its program?"""

from __future__ import annotations

from .decision import Finding, finding
from .rating import Level, Rating, parse_rating
from .rule_ids import RuleId
from .schedule_i import Program, ScheduleI


def check_rating(text: str | None, schedule: ScheduleI) -> tuple[Rating | None, list[Finding]]:
    """15 CFR 700.12(a)(1): a rated order carries a priority rating: DO or DX plus a program
    identification symbol that Schedule I lists. Returns the rating (None when invalid) and
    the findings: blocking ones when the element is missing or bad, explanatory ones otherwise.
    """
    if text is None or not text.strip():
        return None, [
            finding(
                RuleId.DPAS_700_12_A1_RATING_MISSING,
                "The order has no priority rating. Give DO or DX and a program symbol, "
                "for example DO-A1.",
                blocking=True,
            )
        ]
    rating = parse_rating(text)
    if rating is None:
        return None, [
            finding(
                RuleId.DPAS_700_12_A1_RATING_MALFORMED,
                f"{text!r} is not a priority rating: it must be DO or DX followed by a program "
                "symbol of a letter and a digit, for example DO-A1 or DX-A2.",
                blocking=True,
            )
        ]
    program = schedule.lookup(rating.program)
    if program is None:
        return None, [
            finding(
                RuleId.DPAS_700_12_A1_PROGRAM_UNKNOWN,
                f"Program symbol {rating.program} of {rating} is not in Schedule I to 15 CFR 700. "
                "Use the symbol of the approved program the order supports.",
                blocking=True,
            )
        ]
    return rating, [precedence_finding(rating, program), *program_notes(rating, program)]


def precedence_finding(rating: Rating, program: Program) -> Finding:
    """15 CFR 700.11: DX orders take precedence over DO and unrated orders; DO over unrated."""
    standing = (
        "it takes precedence over DO and unrated orders"
        if rating.level is Level.DX
        else "it takes precedence over unrated orders; DX orders take precedence over it"
    )
    return finding(
        RuleId.DPAS_700_11_PRIORITY_LEVEL,
        f"{rating} is a {rating.level} rating for program {program.symbol} ({program.title}, "
        f"{', '.join(program.agencies)}): {standing}. The program symbol carries no priority.",
    )


def program_notes(rating: Rating, program: Program) -> list[Finding]:
    """Schedule I notes: provisional rows, other departments' symbols, Commerce authorization."""
    notes = []
    if program.provisional:
        notes.append(
            finding(
                RuleId.SCHEDULE_I_PROVISIONAL_SYMBOL,
                f"{program.symbol} is listed only provisionally: the rulebook could not confirm it "
                "in the 2024 Schedule I. It is accepted; check it against eCFR.",
            )
        )
    if program.other_department:
        notes.append(
            finding(
                RuleId.SCHEDULE_I_OTHER_PROGRAM,
                f"{program.symbol} is a {program.other_department} program symbol; orders placed "
                "to carry out that program keep its symbol and remain subject to 15 CFR 700.",
            )
        )
    if program.commerce_authorizes:
        notes.append(
            finding(
                RuleId.SCHEDULE_I_COMMERCE_AUTHORIZATION,
                f"Commerce is the listed agency for {program.symbol}: rated orders under {rating} "
                "need Commerce's written authorization (15 CFR 700.51).",
            )
        )
    return notes
