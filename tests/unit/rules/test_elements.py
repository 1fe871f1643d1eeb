"""Elements of a rated order (15 CFR 700.12): each missing or bad element gets its own reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sosa.rules import Outcome, Path, RuleId, decide_submission
from sosa.rules.elements import past_delivery_dates

from .builders import CERTIFICATION, FAR_52_211_15, emergency, make_request, utc

R = RuleId


def blocking_ids(**overrides: Any) -> list[RuleId]:
    decision = decide_submission(make_request(**overrides))
    return [f.rule_id for f in decision.findings if f.blocking]


def test_700_12_complete_order_is_routed_as_rated_order() -> None:
    decision = decide_submission(make_request())
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    assert decision.path is Path.DPAS
    assert R.DPAS_700_12_ELEMENTS_COMPLETE in decision.rule_ids
    assert not any(f.blocking for f in decision.findings)


ELEMENT_CASES = [
    ("a1-missing", {"rating": None}, [R.DPAS_700_12_A1_RATING_MISSING]),
    ("a1-malformed", {"rating": "urgent"}, [R.DPAS_700_12_A1_RATING_MALFORMED]),
    ("a1-unknown-program", {"rating": "DO-Q7"}, [R.DPAS_700_12_A1_PROGRAM_UNKNOWN]),
    ("a2-none", {"required_delivery_dates": ()}, [R.DPAS_700_12_A2_DELIVERY_DATE_MISSING]),
    ("a2-blank", {"required_delivery_dates": (" ",)}, [R.DPAS_700_12_A2_DELIVERY_DATE_MISSING]),
    (
        "a2-asap",
        {"required_delivery_dates": ("ASAP",)},
        [R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC],
    ),
    (
        "a2-immediately",
        {"required_delivery_dates": ("Immediately",)},
        [R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC],
    ),
    (
        "a2-as-soon-as-possible",
        {"required_delivery_dates": ("as soon as possible",)},
        [R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC],
    ),
    (
        "a2-one-bad-of-two",
        {"required_delivery_dates": ("2026-09-01", "31/09/2026")},
        [R.DPAS_700_12_A2_DELIVERY_DATE_INVALID],
    ),
    (
        "a2-impossible-date",
        {"required_delivery_dates": ("2026-02-30",)},
        [R.DPAS_700_12_A2_DELIVERY_DATE_INVALID],
    ),
    ("a3-missing", {"authorized_signer": None}, [R.DPAS_700_12_A3_SIGNER_MISSING]),
    ("a3-blank", {"authorized_signer": "  "}, [R.DPAS_700_12_A3_SIGNER_MISSING]),
    ("a4-missing", {"certification_statement": None}, [R.DPAS_700_12_A4_CERTIFICATION_MISSING]),
    (
        "a4-not-in-substance",
        {"certification_statement": "Please deliver quickly; this is important."},
        [R.DPAS_700_12_A4_CERTIFICATION_NOT_RECOGNISED],
    ),
    (
        "a4-no-dpas-reference",
        {"certification_statement": "This is a rated order certified for national defense use."},
        [R.DPAS_700_12_A4_CERTIFICATION_NOT_RECOGNISED],
    ),
    (
        "all-four-missing",
        {
            "rating": None,
            "required_delivery_dates": ("ASAP",),
            "authorized_signer": None,
            "certification_statement": None,
        },
        [
            R.DPAS_700_12_A1_RATING_MISSING,
            R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC,
            R.DPAS_700_12_A3_SIGNER_MISSING,
            R.DPAS_700_12_A4_CERTIFICATION_MISSING,
        ],
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in ELEMENT_CASES], ids=[c[0] for c in ELEMENT_CASES]
)
def test_700_12_a_each_missing_or_bad_element_has_its_own_reason(
    overrides: dict[str, Any], expected: list[RuleId]
) -> None:
    decision = decide_submission(make_request(**overrides))
    assert decision.outcome is Outcome.REJECTED
    assert [f.rule_id for f in decision.findings if f.blocking] == expected
    for f in decision.findings:
        assert f.citation.startswith("15 CFR 700.12") or not f.blocking
        assert f.reason


def test_700_12_a2_each_bad_date_is_named() -> None:
    decision = decide_submission(
        make_request(required_delivery_dates=("ASAP", "soon-ish", "2026-09-01"))
    )
    reasons = [f.reason for f in decision.findings if f.blocking]
    assert len(reasons) == 2
    assert "'ASAP'" in reasons[0]
    assert "'soon-ish'" in reasons[1]


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("0001-01-01", "outside the years 1900-2200"),
        ("9999-12-31", "outside the years 1900-2200"),
        ("1899-12-31", "outside the years 1900-2200"),
        ("2026-02-30", "not a calendar date"),
    ],
)
def test_700_12_a2_a_date_no_order_could_have_is_refused(entry: str, why: str) -> None:
    """Years 1 and 9999 are what a garbled system sends; the router refuses the order with a
    citation instead of failing to write a decision no message may carry."""
    decision = decide_submission(make_request(required_delivery_dates=(entry,)))
    [bad] = [f for f in decision.findings if f.blocking]
    assert bad.rule_id == "DPAS_700_12_A2_DELIVERY_DATE_INVALID"
    assert why in bad.reason


def test_700_12_a2_several_specific_dates_are_kept_sorted() -> None:
    decision = decide_submission(
        make_request(required_delivery_dates=("2026-10-01", "2026-09-01", "2026-10-01"))
    )
    assert [d.isoformat() for d in decision.required_delivery_dates] == ["2026-09-01", "2026-10-01"]


@pytest.mark.parametrize(
    "statement",
    [
        CERTIFICATION,
        FAR_52_211_15,
        CERTIFICATION.upper(),
        CERTIFICATION.replace("defense use", "defence use"),
    ],
    ids=["regulation", "far-52-211-15", "upper-case", "british-spelling"],
)
def test_700_12_a4_statement_in_substance_is_accepted(statement: str) -> None:
    assert blocking_ids(certification_statement=statement) == []


EP_CASES = [
    ("occurred-6h-minimum", emergency(6, "occurred"), []),
    ("imminent-12h-minimum", emergency(12, "imminent"), []),
    (
        "hours-only-in-statement",
        emergency(
            None,
            "occurred",
            statement="Emergency preparedness order: accept or reject within 48 hours.",
        ),
        [],
    ),
    ("occurred-5h", emergency(5, "occurred"), [R.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM]),
    ("imminent-11h", emergency(11, "imminent"), [R.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM]),
    ("no-statement", emergency(24, statement=None), [R.DPAS_700_12_B_EP_STATEMENT_MISSING]),
    (
        "statement-not-ep",
        emergency(24, statement="Deliver within 24 hours."),
        [R.DPAS_700_12_B_EP_STATEMENT_MISSING],
    ),
    (
        "no-hours",
        emergency(
            None, statement="This rated order is placed for the purpose of emergency preparedness."
        ),
        [R.DPAS_700_12_B_EP_HOURS_MISSING],
    ),
    (
        "hours-disagree",
        emergency(24, statement="Emergency preparedness: accept or reject within 12 hours."),
        [R.DPAS_700_12_B_EP_HOURS_INCONSISTENT],
    ),
    ("bad-hazard", emergency(24, "flood"), [R.DPAS_700_12_B_EP_HAZARD_INVALID]),
]


@pytest.mark.parametrize(
    ("ep", "expected"), [c[1:] for c in EP_CASES], ids=[c[0] for c in EP_CASES]
)
def test_700_12_b_emergency_preparedness_statement_and_hours(
    ep: Any, expected: list[RuleId]
) -> None:
    assert blocking_ids(emergency_preparedness=ep) == expected


def test_700_13_e_order_stating_fewer_hours_is_refused_with_the_minimum() -> None:
    decision = decide_submission(make_request(emergency_preparedness=emergency(4, "imminent")))
    assert decision.outcome is Outcome.REJECTED
    [below] = [f for f in decision.findings if f.blocking]
    assert "12-hour minimum" in below.reason
    assert below.citation == "15 CFR 700.13(e)"


def test_a_delivery_date_already_past_at_receipt_routes_the_order_with_a_warning() -> None:
    """Received Fri 26 June 2026, 11:00 in New York: 25 June is past, 26 June is today."""
    decision = decide_submission(
        make_request(required_delivery_dates=("2026-06-25", "2026-06-26", "2026-09-01"))
    )
    assert decision.outcome is Outcome.DPAS_RATED_ORDER
    [warning] = [f for f in decision.findings if f.rule_id is R.DPAS_700_12_A2_DELIVERY_DATE_PAST]
    assert not warning.blocking
    assert warning.citation == "15 CFR 700.12(a)(2); 15 CFR 700.13(b)(1)"
    assert "2026-06-25" in warning.reason
    assert "2026-06-26" not in warning.reason.split("(")[0]


def test_no_warning_when_every_date_is_today_or_later() -> None:
    decision = decide_submission(make_request(required_delivery_dates=("2026-06-26",)))
    assert R.DPAS_700_12_A2_DELIVERY_DATE_PAST not in {f.rule_id for f in decision.findings}


def test_past_dates_are_judged_on_the_supplier_s_day() -> None:
    """02:00 UTC on 27 June is still 26 June in New York: 26 June is not past there; at
    05:00 UTC it is 27 June there, and it is."""
    dates = ("2026-06-26",)
    early = decide_submission(
        make_request(required_delivery_dates=dates, received_at=utc(2026, 6, 27, 2))
    )
    later = decide_submission(
        make_request(required_delivery_dates=dates, received_at=utc(2026, 6, 27, 5))
    )
    assert R.DPAS_700_12_A2_DELIVERY_DATE_PAST not in early.rule_ids
    assert R.DPAS_700_12_A2_DELIVERY_DATE_PAST in later.rule_ids
    assert past_delivery_dates((date(2026, 6, 26),), today=date(2026, 6, 26)) == []
