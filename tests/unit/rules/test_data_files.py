"""The packaged data files, and the overrides services pass in their place."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sosa.rules import ClockRules, DataFileError, PartnerRegistry, ScheduleI, WorkingCalendar
from sosa.rules.partners import CodeOfConduct, SigningDate

# Rulebook section 7.2: the 19 partners and the signing dates it gives (None: not found).
SIGNED = {
    "NL": "1978",
    "SE": "1987",
    "IT": "2003",
    "FI": "2007",
    "AU": "2011",
    "ES": "2015",
    "GB": "2017",
    "NO": "2018",
    "CA": None,
    "LV": None,
    "JP": "2023-01-12",
    "DK": "2023-02-08",
    "IL": "2023-03-01",
    "EE": "2023",
    "LT": "2023-10-27",
    "KR": "2023-11",
    "SG": "2023-12-05",
    "IN": "2024-08-22",
    "DE": "2024-10-22",
}


def test_sosa_registry_has_the_19_partners_with_their_signing_dates() -> None:
    registry = PartnerRegistry.default()
    assert sorted(p.country for p in registry.partners) == sorted(SIGNED)
    for country, signed in SIGNED.items():
        partner = registry.get(country)
        assert partner is not None
        assert (partner.signed.text if partner.signed else None) == signed, country


def test_sosa_registry_defaults_no_response_target_and_own_calendar() -> None:
    for partner in PartnerRegistry.default().partners:
        assert partner.response_target is None
        assert partner.calendar_country == partner.country
        assert partner.liaison.party_id
        assert partner.liaison.office


def test_sosa_registry_every_partner_calendar_resolves() -> None:
    for partner in PartnerRegistry.default().partners:
        calendar = WorkingCalendar.for_country(partner.calendar_country)
        assert calendar.add_working_days(date(2026, 12, 18), 5) > date(2026, 12, 18)


def test_sosa_registry_unconfirmed_dates_are_provisional() -> None:
    registry = PartnerRegistry.default()
    provisional = {p.country for p in registry.partners if p.provisional}
    assert provisional == {"CA", "LV", "EE"}
    pending = {p.country for p in registry.partners if p.code_of_conduct is CodeOfConduct.PENDING}
    assert pending == {"IN"}
    assert registry.get("US") is None


@pytest.mark.parametrize(
    ("text", "earliest", "exact"),
    [
        ("1978", date(1978, 1, 1), False),
        ("2023-11", date(2023, 11, 1), False),
        ("2024-08-22", date(2024, 8, 22), True),
    ],
)
def test_sosa_signing_date_precision(text: str, earliest: date, exact: bool) -> None:
    assert SigningDate.parse(text) == SigningDate(text=text, earliest=earliest, exact=exact)


def _partner_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "country": "XK",
        "name": "Testland",
        "signed": "2026-01-05",
        "liaison": {"party_id": "liaison-xk", "office": "Testland MoD"},
        "response_target": {"working_days": 5},
    }
    row.update(overrides)
    return row


def test_sosa_registry_override_from_a_dict() -> None:
    registry = PartnerRegistry.from_dict({"partners": [_partner_row()]})
    partner = registry.get("XK")
    assert partner is not None
    assert partner.response_target is not None
    assert partner.response_target.working_days == 5
    assert partner.code_of_conduct is CodeOfConduct.IN_PLACE
    assert partner.in_force_on(date(2026, 1, 5))
    assert not partner.in_force_on(date(2026, 1, 4))


@pytest.mark.parametrize(
    "row",
    [
        _partner_row(liaison=None),
        _partner_row(response_target={"working_days": 5, "hours": 4}),
        _partner_row(response_target={}),
        _partner_row(response_target={"hours": -1}),
        _partner_row(name=""),
        _partner_row(signed="2026/01/05"),
        _partner_row(liaison={"party_id": "x", "office": "y", "confirmed": "yes"}),
        _partner_row(code_of_conduct="maybe"),
        _partner_row(signed="2026-01-05-01"),
    ],
    ids=[
        "no-liaison",
        "two-targets",
        "no-target-value",
        "negative",
        "blank-name",
        "bad-date",
        "bad-flag",
        "bad-code",
        "too-long-date",
    ],
)
def test_sosa_registry_override_shape_is_checked(row: dict[str, Any]) -> None:
    with pytest.raises(DataFileError):
        PartnerRegistry.from_dict({"partners": [row]})


def test_schedule_i_override_from_a_dict() -> None:
    schedule = ScheduleI.from_dict(
        {"programs": [{"symbol": "A1", "program": "Aircraft", "section": "defense"}]}
    )
    assert schedule.lookup("A1") is not None
    assert schedule.lookup("A2") is None


@pytest.mark.parametrize(
    "data",
    [
        {"programs": "A1"},
        {"programs": ["A1"]},
        {"programs": [{"symbol": "A1", "program": "x", "section": "d", "agencies": "DoD"}]},
        {"programs": [{"symbol": "A1", "program": "x", "section": "d"}] * 2},
    ],
    ids=["not-a-list", "not-objects", "agencies-not-a-list", "duplicate"],
)
def test_schedule_i_override_shape_is_checked(data: dict[str, Any]) -> None:
    with pytest.raises(DataFileError):
        ScheduleI.from_dict(data)


def test_700_13_clock_rules_default_and_override() -> None:
    rules = ClockRules.default()
    assert (rules.do_working_days, rules.dx_working_days) == (15, 10)
    assert (rules.occurred_minimum_hours, rules.imminent_minimum_hours) == (6, 12)
    custom = ClockRules.from_dict(
        {
            "working_days": {"DO": 15, "DX": 10},
            "emergency_minimum_hours": {"occurred": 8, "imminent": 24},
            "reminders": {"half_way": False, "working_days_before": 2},
        }
    )
    assert custom.occurred_minimum_hours == 8
    assert custom.reminder_working_days_before == 2
    assert not custom.half_way_reminder


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"working_days": {"DO": 15}, "emergency_minimum_hours": {"occurred": 6, "imminent": 12}},
        {
            "working_days": {"DO": 0, "DX": 10},
            "emergency_minimum_hours": {"occurred": 6, "imminent": 12},
        },
    ],
    ids=["empty", "no-dx", "zero"],
)
def test_700_13_clock_rules_shape_is_checked(data: dict[str, Any]) -> None:
    with pytest.raises(DataFileError):
        ClockRules.from_dict(data)
