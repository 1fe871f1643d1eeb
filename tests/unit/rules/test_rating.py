"""Ratings (15 CFR 700.11, 700.12(a)(1)) and the Schedule I data file."""

from __future__ import annotations

import pytest

from sosa.rules import Level, Rating, RuleId, ScheduleI, parse_rating
from sosa.rules.rating import outranks, rank_of
from sosa.rules.rating_checks import check_rating

# The regulation's and the rulebook's own examples (rulebook section 1), plus ERP variants.
PARSE_CASES = [
    ("DO-A1", Level.DO, "A1"),
    ("DX-A2", Level.DX, "A2"),
    ("DO-N1", Level.DO, "N1"),
    ("DO-A3", Level.DO, "A3"),
    ("DO-H7", Level.DO, "H7"),
    ("DO-H1", Level.DO, "H1"),
    ("DOA1", Level.DO, "A1"),
    ("dx-a2", Level.DX, "A2"),
    (" DX\u2011A3 ", Level.DX, "A3"),
    ("DO A4", Level.DO, "A4"),
    ("DX-G4", Level.DX, "G4"),
]


@pytest.mark.parametrize(("text", "level", "program"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_700_12_a1_parses_symbol_and_program(text: str, level: Level, program: str) -> None:
    assert parse_rating(text) == Rating(level=level, program=program)


@pytest.mark.parametrize(
    "text", ["", "DZ-A1", "DO-1A", "DO-AA", "DO-A12", "A1", "DO", "DO--A1", "priority"]
)
def test_700_12_a1_rejects_what_is_not_a_rating(text: str) -> None:
    assert parse_rating(text) is None
    with pytest.raises(ValueError, match="not a DPAS priority rating"):
        Rating.parse(text)


def test_700_11_precedence_dx_over_do_over_unrated() -> None:
    dx, do = Rating.parse("DX-A1"), Rating.parse("DO-A1")
    assert (rank_of(dx), rank_of(do), rank_of(None)) == (2, 1, 0)
    assert outranks(dx, do)
    assert outranks(do, None)
    assert outranks(dx, None)
    assert not outranks(do, dx)
    assert not outranks(None, do)


def test_schedule_i_program_symbol_carries_no_priority() -> None:
    assert not outranks(Rating.parse("DO-A1"), Rating.parse("DO-C9"))
    assert not outranks(Rating.parse("DO-C9"), Rating.parse("DO-A1"))
    assert str(Rating.parse("DOA1")) == "DO-A1"


CONFIRMED = ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1", "B8", "B9", "C2", "C3", "C9"]
CONFIRMED += ["D1", "D2", "D3", "G1", "G2", "G3", "G4", "J1", "E1", "E2", "E3"]
PROVISIONAL = ["F1", "F2", "F3", "H1", "H5", "H6", "H7", "H8", "K1"] + [
    f"N{i}" for i in range(1, 9)
]


def test_schedule_i_confirmed_rows_are_not_provisional() -> None:
    schedule = ScheduleI.default()
    for symbol in CONFIRMED:
        program = schedule.lookup(symbol)
        assert program is not None, symbol
        assert not program.provisional, symbol


def test_schedule_i_unconfirmed_rows_are_flagged_provisional() -> None:
    schedule = ScheduleI.default()
    for symbol in PROVISIONAL:
        program = schedule.lookup(symbol)
        assert program is not None, symbol
        assert program.provisional, symbol


def test_schedule_i_other_programs_keep_their_department() -> None:
    program = ScheduleI.default().lookup("P1")
    assert program is not None
    assert program.other_department == "Department of Agriculture"
    assert program.section == "other_programs"


def test_schedule_i_commerce_programs_need_its_authorization() -> None:
    schedule = ScheduleI.default()
    commerce = {p.symbol for p in schedule.programs if p.commerce_authorizes}
    assert {"D1", "D2", "D3", "G1", "G2", "G3", "G4", "J1"} <= commerce
    assert not commerce & {"A1", "C9", "E1", "N1"}


CHECK_CASES = [
    ("DX-A2", [RuleId.DPAS_700_11_PRIORITY_LEVEL]),
    ("DO-N1", [RuleId.DPAS_700_11_PRIORITY_LEVEL, RuleId.SCHEDULE_I_PROVISIONAL_SYMBOL]),
    (
        "DO-P1",
        [
            RuleId.DPAS_700_11_PRIORITY_LEVEL,
            RuleId.SCHEDULE_I_PROVISIONAL_SYMBOL,
            RuleId.SCHEDULE_I_OTHER_PROGRAM,
        ],
    ),
    ("DO-G2", [RuleId.DPAS_700_11_PRIORITY_LEVEL, RuleId.SCHEDULE_I_COMMERCE_AUTHORIZATION]),
    (None, [RuleId.DPAS_700_12_A1_RATING_MISSING]),
    ("  ", [RuleId.DPAS_700_12_A1_RATING_MISSING]),
    ("Priority", [RuleId.DPAS_700_12_A1_RATING_MALFORMED]),
    ("DO-Z9", [RuleId.DPAS_700_12_A1_PROGRAM_UNKNOWN]),
]


@pytest.mark.parametrize(("text", "expected"), CHECK_CASES, ids=[str(c[0]) for c in CHECK_CASES])
def test_700_12_a1_rating_checked_against_schedule_i(
    text: str | None, expected: list[RuleId]
) -> None:
    rating, findings = check_rating(text, ScheduleI.default())
    assert [f.rule_id for f in findings] == expected
    blocking = expected[0].startswith("DPAS_700_12_A1")
    assert (rating is None) == blocking
    assert all(f.blocking == blocking for f in findings)
