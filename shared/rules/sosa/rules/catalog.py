"""The registry of rules: each stable rule id with its citation, short title and confidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .provenance import PARTIAL, UNCONFIRMED, data_files_for
from .rule_ids import RuleId as R


class Confidence(StrEnum):
    """The rulebook's marks: confirmed [C], partly confirmed [P], unconfirmed [U]."""

    CONFIRMED = "C"
    PARTIAL = "P"
    UNCONFIRMED = "U"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One catalogued rule: where it comes from, what it says in a few words, how sure we are."""

    rule_id: R
    citation: str
    title: str
    confidence: Confidence
    data_files: tuple[str, ...] = ()
    """The data files (and calendar settings) that configure it; see docs/rules.md."""


def _cfr(paragraph: str) -> str:
    return f"15 CFR 700.{paragraph}"


_SOSA = "SOSA (DoD Security of Supply Arrangement)"
_COC = "SOSA partner Industrial Code of Conduct"
_OPS = "sosa exchange operating rule (docs/architecture.md, Operating rules)"

_TITLES: Final[dict[R, tuple[str, str]]] = {
    R.DPAS_700_11_PRIORITY_LEVEL: (
        "15 CFR 700.11(a); FAR 11.603(a)",
        "DX outranks DO, DO outranks unrated",
    ),
    R.SCHEDULE_I_PROVISIONAL_SYMBOL: (
        "15 CFR 700 Schedule I",
        "Program symbol only provisionally listed",
    ),
    R.SCHEDULE_I_OTHER_PROGRAM: (
        "15 CFR 700 Schedule I (Other Programs)",
        "Another Resource Department's program symbol",
    ),
    R.SCHEDULE_I_COMMERCE_AUTHORIZATION: (
        "15 CFR 700 Schedule I; 15 CFR 700.51",
        "Commerce's written authorization needed for this program",
    ),
    R.DPAS_700_12_A1_RATING_MISSING: (_cfr("12(a)(1)"), "Priority rating missing"),
    R.DPAS_700_12_A1_RATING_MALFORMED: (
        _cfr("12(a)(1)"),
        "Priority rating not DO/DX plus a program symbol",
    ),
    R.DPAS_700_12_A1_PROGRAM_UNKNOWN: (
        "15 CFR 700.12(a)(1); 15 CFR 700 Schedule I",
        "Program symbol not in Schedule I",
    ),
    R.DPAS_700_12_A2_DELIVERY_DATE_MISSING: (_cfr("12(a)(2)"), "Required delivery date missing"),
    R.DPAS_700_12_A2_DELIVERY_DATE_NOT_SPECIFIC: (
        _cfr("12(a)(2)"),
        "'ASAP' or 'immediately' is not a delivery date",
    ),
    R.DPAS_700_12_A2_DELIVERY_DATE_INVALID: (
        _cfr("12(a)(2)"),
        "Required delivery date is not a calendar date",
    ),
    R.DPAS_700_12_A2_DELIVERY_DATE_PAST: (
        f"{_cfr('12(a)(2)')}; {_cfr('13(b)(1)')}",
        "Required delivery date already past at receipt (warning)",
    ),
    R.DPAS_700_12_A3_SIGNER_MISSING: (_cfr("12(a)(3)"), "Authorized signature missing"),
    R.DPAS_700_12_A4_CERTIFICATION_MISSING: (
        _cfr("12(a)(4)"),
        "DPAS certification statement missing",
    ),
    R.DPAS_700_12_A4_CERTIFICATION_NOT_RECOGNISED: (
        _cfr("12(a)(4)"),
        "Statement does not say in substance what (a)(4) requires",
    ),
    R.DPAS_700_12_B_EP_STATEMENT_MISSING: (
        _cfr("12(b)"),
        "Emergency-preparedness statement missing",
    ),
    R.DPAS_700_12_B_EP_HOURS_MISSING: (
        _cfr("12(b)"),
        "Emergency-preparedness time limit (hours) missing",
    ),
    R.DPAS_700_12_B_EP_HOURS_INCONSISTENT: (
        _cfr("12(b)"),
        "Stated hours differ from the statement's hours",
    ),
    R.DPAS_700_12_B_EP_HAZARD_INVALID: (
        "15 CFR 700.12(b); 15 CFR 700.13(e)",
        "Hazard must be 'occurred' or 'imminent'",
    ),
    R.DPAS_700_13_E_EP_HOURS_BELOW_MINIMUM: (
        _cfr("13(e)"),
        "Emergency-preparedness time limit below the minimum",
    ),
    R.DPAS_700_12_ELEMENTS_COMPLETE: (_cfr("12(a), (b)"), "All rated-order elements present"),
    R.DPAS_PATH_US_ORDER: (_cfr("13(a)(1)"), "US DoD rated order to a US supplier: DPAS path"),
    R.SOSA_PARTNER_REQUEST_PATH: (
        f"{_SOSA}; 15 CFR 700.57(a)",
        "Partner request to a US supplier: DoD determination, then Commerce authorization",
    ),
    R.SOSA_VOLUNTARY_PATH: (
        f"{_SOSA}; {_COC}",
        "US request to a partner-country supplier: voluntary, via the liaison",
    ),
    R.SOSA_NO_ARRANGEMENT_REQUESTER_COUNTRY: (_SOSA, "Requester's country has no SOSA with the US"),
    R.SOSA_NO_ARRANGEMENT_SUPPLIER_COUNTRY: (
        f"{_SOSA}; 15 CFR 700.57(a)",
        "Supplier's country has no SOSA with the US",
    ),
    R.SOSA_PARTNER_TO_NON_US_SUPPLIER: (_SOSA, "A SOSA covers partner requests to US firms only"),
    R.SOSA_ARRANGEMENT_NOT_IN_FORCE: (_SOSA, "Request received before the partner signed its SOSA"),
    R.SOSA_SIGNING_DATE_UNCONFIRMED: (_SOSA, "Partner's SOSA signing date not confirmed"),
    R.PATH_COUNTRY_CODE_INVALID: (_OPS, "Country is not an ISO 3166-1 alpha-2 code"),
    R.PATH_REQUESTER_COUNTRY_MISMATCH: (_OPS, "Requester kind does not match its country"),
    R.PATH_REQUESTER_KIND_UNREGISTERED: (
        f"{_cfr('18(a)(1)')}; {_OPS}",
        "Requester's kind is self-declared, not the party registry's: no path",
    ),
    R.PATH_SUPPLIER_TIMEZONE_INVALID: (_OPS, "Supplier time zone is not an IANA zone"),
    R.DPAS_700_57_A_NO_FORCE_ABROAD: (
        _cfr("57(a)"),
        "A DPAS rating has no legal force outside the US",
    ),
    R.SOSA_RATING_AWAITS_AUTHORIZATION: (
        "15 CFR 700.57(a); 15 CFR 700.51",
        "A partner's rating comes from Commerce's authorization",
    ),
    R.SOSA_COC_SIGNATORY: (_COC, "Signatory firm: 'every reasonable effort'"),
    R.SOSA_COC_NON_SIGNATORY: (_COC, "Non-signatory firm: no Code of Conduct commitment"),
    R.SOSA_COC_SIGNATORY_UNKNOWN: (_COC, "Signatory status not stated: check the DoD list"),
    R.SOSA_COC_NOT_ESTABLISHED: (_COC, "Partner's Code of Conduct may not be established yet"),
    R.SOSA_PROGRAM_DETERMINATION_MADE: (
        f"{_SOSA}; 15 CFR 700.57",
        "DoD determined the partner's program qualifies",
    ),
    R.SOSA_PROGRAM_DETERMINATION_DENIED: (
        f"{_SOSA}; 15 CFR 700.57",
        "DoD determined the partner's program does not qualify",
    ),
    R.SOSA_RATING_AUTHORIZED: (
        "15 CFR 700.57(a); 15 CFR 700.51",
        "Commerce authorized a DPAS rating",
    ),
    R.SOSA_RATING_AUTHORIZATION_DENIED: (
        "15 CFR 700.57(a); 15 CFR 700.51",
        "Commerce declined to authorize a rating",
    ),
    R.SOSA_RATING_SERIES_UNEXPECTED: (
        "15 CFR 700 Schedule I; 15 CFR 700.56, 700.57",
        "Authorized program is outside the foreign-assistance series",
    ),
    R.DPAS_700_13_D1_DO_15_WORKING_DAYS: (
        _cfr("13(d)(1)"),
        "DO order: answer within 15 working days",
    ),
    R.DPAS_700_13_D1_DX_10_WORKING_DAYS: (
        _cfr("13(d)(1)"),
        "DX order: answer within 10 working days",
    ),
    R.DPAS_700_13_E_EP_HOURS: (
        _cfr("13(e)"),
        "Emergency-preparedness order: answer within the stated hours",
    ),
    R.SOSA_VOLUNTARY_TARGET: (_COC, "Partner's configured response target (not statutory)"),
    R.SOSA_VOLUNTARY_NO_TARGET: (_COC, "No statutory clock and no partner target"),
    R.DPAS_700_13_A1_ACCEPTED: (_cfr("13(a)(1)"), "Rated order accepted"),
    R.DPAS_700_13_A1_NO_VOLUNTARY_ANSWERS: (
        _cfr("13(a)(1)"),
        "A rated order is accepted or rejected, not declined",
    ),
    R.DPAS_700_13_B1_CANNOT_MEET_DATE: (
        _cfr("13(b)(1)"),
        "Cannot meet the required date: counter-offer",
    ),
    R.DPAS_700_13_B2_DO_CONFLICTS_PRIOR_RATED: (
        _cfr("13(b)(2)"),
        "DO conflicts with accepted DO/DX: counter-offer",
    ),
    R.DPAS_700_13_B3_DX_CONFLICTS_PRIOR_DX: (
        _cfr("13(b)(3)"),
        "DX conflicts with accepted DX: counter-offer",
    ),
    R.DPAS_700_13_B4_SAME_DAY_CAPACITY: (
        _cfr("13(b)(4)"),
        "Same-day equal-priority orders exceed capacity: counter-offer",
    ),
    R.DPAS_700_13_B1_REQUIRES_EARLIEST_DATE: (
        _cfr("13(b)(1)"),
        "A (b)(1) rejection must give the earliest date",
    ),
    R.DPAS_700_13_B2_REQUIRES_EARLIEST_DATE: (
        _cfr("13(b)(2)"),
        "A (b)(2) rejection must give the earliest date",
    ),
    R.DPAS_700_13_B3_REQUIRES_EARLIEST_DATE: (
        _cfr("13(b)(3)"),
        "A (b)(3) rejection must give the earliest date",
    ),
    R.DPAS_700_13_B4_REQUIRES_EARLIEST_DATE: (
        _cfr("13(b)(4)"),
        "A (b)(4) rejection must give the earliest date",
    ),
    R.DPAS_700_13_B_EARLIEST_DATE_NOT_LATER: (
        _cfr("13(b)"),
        "Counter-offer date must be later than the required date",
    ),
    R.DPAS_700_13_B2_ONLY_FOR_DO: (_cfr("13(b)(2)"), "(b)(2) applies to DO orders only"),
    R.DPAS_700_13_B3_ONLY_FOR_DX: (_cfr("13(b)(3)"), "(b)(3) applies to DX orders only"),
    R.DPAS_700_13_B1_LOWER_RATED_CONFLICT_INVALID: (
        _cfr("13(b)(1)"),
        "Conflict with unrated or lower-rated orders is no reason",
    ),
    R.DPAS_700_13_C1_TERMS_OF_SALE: (
        _cfr("13(c)(1)"),
        "Customer will not meet regular terms of sale or payment",
    ),
    R.DPAS_700_13_C2_NOT_OFFERED: (
        _cfr("13(c)(2)"),
        "Item or service not supplied by this supplier",
    ),
    R.DPAS_700_13_C3_OWN_USE: (_cfr("13(c)(3)"), "Item made only for the supplier's own use"),
    R.DPAS_700_13_C4_CUSTOMER_SELF_SUPPLIES: (_cfr("13(c)(4)"), "Customer makes the item itself"),
    R.DPAS_700_13_C5_VIOLATES_COMMERCE_ORDER: (
        _cfr("13(c)(5)"),
        "Would violate a Commerce regulation, order or official action",
    ),
    R.DPAS_700_13_C4_NOT_FOR_US_GOVERNMENT: (
        _cfr("13(c)(4)"),
        "(c)(4) does not apply when the customer is the US Government",
    ),
    R.DPAS_700_13_C_NON_DISCRIMINATION: (
        _cfr("13(c)"),
        "Optional rejection only without discrimination among customers",
    ),
    R.DPAS_700_13_D1_REJECTION_NEEDS_REASON: (
        _cfr("13(d)(1)"),
        "A rejection must give its reasons",
    ),
    R.DPAS_700_13_REASON_NOT_LISTED: (
        _cfr("13(b), (c)"),
        "Rejection reason is not one the regulation lists",
    ),
    R.DPAS_700_13_D1_RESPONSE_LATE: (
        _cfr("13(d)(1)"),
        "Answer given after the working-day deadline",
    ),
    R.DPAS_700_13_E_EP_RESPONSE_LATE: (
        _cfr("13(e)"),
        "Answer given after the emergency-preparedness time limit",
    ),
    R.DPAS_700_13_D1_NO_SILENT_ACCEPTANCE: (
        _cfr("13(d)(1)"),
        "No answer by the deadline: overdue, never accepted",
    ),
    R.DPAS_700_13_E_EP_NO_SILENT_ACCEPTANCE: (
        _cfr("13(e)"),
        "No answer within the emergency-preparedness time limit: overdue, never accepted",
    ),
    R.SOSA_VOLUNTARY_ACCEPTED: (_COC, "Partner firm accepted the request"),
    R.SOSA_VOLUNTARY_PARTIAL: (_COC, "Partner firm accepted in part (quantity and/or date)"),
    R.SOSA_VOLUNTARY_PARTIAL_NEEDS_TERMS: (_COC, "A partial answer must give a quantity or a date"),
    R.SOSA_VOLUNTARY_DECLINED: (_COC, "Partner firm declined (voluntary)"),
    R.SOSA_VOLUNTARY_DECLINE_NEEDS_TEXT: (_COC, "A decline must say why, in free text"),
    R.SOSA_VOLUNTARY_NO_DPAS_REASONS: (
        f"{_COC}; 15 CFR 700.57(a)",
        "DPAS rejection codes do not apply abroad: decline instead",
    ),
    R.SOSA_VOLUNTARY_TARGET_MISSED: (
        _COC,
        "Partner's response target passed: escalate to the liaison",
    ),
    R.SOSA_COC_EVERY_REASONABLE_EFFORT: (
        _COC,
        "Signatory declined: record whether every reasonable effort was made",
    ),
    R.DPAS_700_11_DIRECTIVE_FIRST: (
        "15 CFR 700.11; FAR 11.603(b)",
        "A Commerce Directive ranks above DX, DO and unrated",
    ),
    R.DPAS_700_14_B_LEVEL_PRECEDENCE: (_cfr("14(b)"), "Work DX, then DO, then unrated"),
    R.DPAS_700_14_C1_DELIVERY_DATE_ORDER: (
        _cfr("14(c)(1)"),
        "Equal priority: earliest required date first",
    ),
    R.DPAS_700_14_C1_SAME_DAY_RECEIPT: (
        _cfr("14(c)(1)"),
        "Equal priority, same date: earliest receipt first",
    ),
    R.DPAS_700_16_A_WHO_MAY_CHANGE: (
        _cfr("16(a)"),
        "Only Commerce or the placing party may change a rating",
    ),
    R.DPAS_700_16_A_RATING_CHANGED: (_cfr("16(a)"), "Rating changed by written notice"),
    R.DPAS_700_16_B_PRIORITY_FROM_RECEIPT: (
        _cfr("16(b)"),
        "Upgrade: new priority from receipt of the change",
    ),
    R.DPAS_700_16_C_NEW_RATED_ORDER: (
        _cfr("16(c)"),
        "Significant schedule change: a new rated order, new clock",
    ),
    R.DPAS_700_16_D_NOT_NEW_ORDER: (_cfr("16(d)"), "Minor change: not a new rated order"),
    R.DPAS_700_16_D4_AFTER_PRODUCTION_START: (
        _cfr("16(d)"),
        "Design variation after production start is not minor",
    ),
    R.DPAS_700_16_E_CANCELLED: (_cfr("16(e)"), "Rated order cancelled"),
    R.DPAS_700_16_F_NOTIFY_SUPPLIERS: (
        _cfr("16(f)"),
        "Notify all suppliers of the change promptly",
    ),
    R.SOSA_POSTURE_IN_FORCE: (
        f"{_SOSA}: peacetime, emergency and armed conflict",
        "Posture in force: sosa's own targets tightened, DPAS limits unchanged",
    ),
    R.SOSA_POSTURE_VOLUNTARY_TARGET: (
        _COC,
        "The posture's voluntary response target, tighter than the partner's",
    ),
    R.SOSA_POSTURE_EARLY_ESCALATION: (
        _OPS,
        "Unanswered close to the deadline under a posture: escalated early",
    ),
    R.SOSA_REQUEST_WITHDRAWN: (_SOSA, "Request withdrawn before it became a rated order"),
    R.SOSA_VOLUNTARY_AMENDED: (
        f"{_COC}; 15 CFR 700.57(a)",
        "Voluntary request amended through the liaison",
    ),
    R.COMMAND_WRONG_STATE: (_OPS, "Command not allowed in the request's state"),
    R.COMMAND_WRONG_PATH: (_OPS, "Command not allowed on the request's path"),
    R.COMMAND_WRONG_PARTY: (_OPS, "Command from a party not entitled to give it"),
}


def _confidence(rule_id: R) -> Confidence:
    if rule_id in PARTIAL:
        return Confidence.PARTIAL
    if rule_id in UNCONFIRMED:
        return Confidence.UNCONFIRMED
    return Confidence.CONFIRMED


CATALOG: Final[Mapping[R, Rule]] = MappingProxyType(
    {
        rule_id: Rule(
            rule_id=rule_id,
            citation=citation,
            title=title,
            confidence=_confidence(rule_id),
            data_files=data_files_for(rule_id),
        )
        for rule_id, (citation, title) in _TITLES.items()
    }
)
"""Every rule id the package can put in a finding, with its citation."""


def rule(rule_id: R) -> Rule:
    """The catalogued rule for an id."""
    return CATALOG[rule_id]
