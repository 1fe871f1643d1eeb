"""Where each rule's facts come from: its rulebook confidence mark and the data that sets it."""

from __future__ import annotations

from typing import Final

from .rule_ids import RuleId as R

PARTIAL: Final = frozenset(
    {
        R.SCHEDULE_I_OTHER_PROGRAM,
        R.DPAS_700_12_B_EP_STATEMENT_MISSING,
        R.DPAS_700_12_B_EP_HOURS_MISSING,
        R.DPAS_700_12_B_EP_HOURS_INCONSISTENT,
        R.DPAS_700_12_B_EP_HAZARD_INVALID,
        R.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM,
        R.SOSA_PARTNER_REQUEST_PATH,
        R.SOSA_RATING_AWAITS_AUTHORIZATION,
        R.SOSA_PROGRAM_DETERMINATION_MADE,
        R.SOSA_PROGRAM_DETERMINATION_DENIED,
        R.SOSA_RATING_AUTHORIZED,
        R.SOSA_RATING_AUTHORIZATION_DENIED,
        R.SOSA_RATING_SERIES_UNEXPECTED,
        R.DPAS_700_13_E_EP_HOURS,
        R.DPAS_700_13_B4_SAME_DAY_CAPACITY,
        R.DPAS_700_13_B4_REQUIRES_EARLIEST_DATE,
        R.DPAS_700_13_C_NON_DISCRIMINATION,
        R.DPAS_700_13_E_EP_RESPONSE_LATE,
        R.DPAS_700_13_E_EP_NO_SILENT_ACCEPTANCE,
        R.DPAS_700_11_DIRECTIVE_FIRST,
        R.DPAS_700_16_F_NOTIFY_SUPPLIERS,
    }
)

UNCONFIRMED: Final = frozenset(
    {
        R.SCHEDULE_I_PROVISIONAL_SYMBOL,
        R.SOSA_SIGNING_DATE_UNCONFIRMED,
        R.SOSA_VOLUNTARY_TARGET,
        R.DPAS_700_13_C3_OWN_USE,
        R.DPAS_700_13_C4_CUSTOMER_SELF_SUPPLIES,
        R.DPAS_700_13_C5_VIOLATES_COMMERCE_ORDER,
        R.DPAS_700_13_C4_NOT_FOR_US_GOVERNMENT,
        R.DPAS_700_13_D1_NO_SILENT_ACCEPTANCE,
        R.SOSA_VOLUNTARY_TARGET_MISSED,
        R.SOSA_POSTURE_VOLUNTARY_TARGET,
        R.SOSA_POSTURE_EARLY_ESCALATION,
    }
)

SCHEDULE_I = "schedule_i.json"
PARTNERS = "partners.json"
CLOCK_RULES = "clock_rules.json"
POSTURES = "postures.json"
CALENDAR = "calendar"
"""The working-day calendar: `holidays` (5 USC 6103) plus WorkingCalendar's closures."""

CONFIGURED_BY: Final[dict[str, frozenset[R]]] = {
    SCHEDULE_I: frozenset(
        {
            R.DPAS_700_11_PRIORITY_LEVEL,
            R.SCHEDULE_I_PROVISIONAL_SYMBOL,
            R.SCHEDULE_I_OTHER_PROGRAM,
            R.SCHEDULE_I_COMMERCE_AUTHORIZATION,
            R.DPAS_700_12_A1_PROGRAM_UNKNOWN,
            R.SOSA_RATING_SERIES_UNEXPECTED,
        }
    ),
    PARTNERS: frozenset(
        {
            R.SOSA_PARTNER_REQUEST_PATH,
            R.SOSA_VOLUNTARY_PATH,
            R.SOSA_NO_ARRANGEMENT_REQUESTER_COUNTRY,
            R.SOSA_NO_ARRANGEMENT_SUPPLIER_COUNTRY,
            R.SOSA_PARTNER_TO_NON_US_SUPPLIER,
            R.SOSA_ARRANGEMENT_NOT_IN_FORCE,
            R.SOSA_SIGNING_DATE_UNCONFIRMED,
            R.SOSA_COC_NOT_ESTABLISHED,
            R.SOSA_RATING_SERIES_UNEXPECTED,
            R.SOSA_VOLUNTARY_TARGET,
            R.SOSA_VOLUNTARY_NO_TARGET,
            R.SOSA_VOLUNTARY_TARGET_MISSED,
        }
    ),
    CLOCK_RULES: frozenset(
        {
            R.DPAS_700_13_D1_DO_15_WORKING_DAYS,
            R.DPAS_700_13_D1_DX_10_WORKING_DAYS,
            R.DPAS_700_13_E_EP_HOURS,
            R.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM,
            R.SOSA_VOLUNTARY_TARGET,
        }
    ),
    POSTURES: frozenset(
        {
            R.SOSA_POSTURE_IN_FORCE,
            R.SOSA_POSTURE_VOLUNTARY_TARGET,
            R.SOSA_POSTURE_EARLY_ESCALATION,
        }
    ),
    CALENDAR: frozenset(
        {
            R.DPAS_700_13_D1_DO_15_WORKING_DAYS,
            R.DPAS_700_13_D1_DX_10_WORKING_DAYS,
            R.SOSA_VOLUNTARY_TARGET,
        }
    ),
}
"""Data file (or calendar setting) -> the rules whose outcome it changes."""


def data_files_for(rule_id: R) -> tuple[str, ...]:
    """The data files and settings that configure a rule, in a stable order."""
    return tuple(name for name, rules in CONFIGURED_BY.items() if rule_id in rules)
