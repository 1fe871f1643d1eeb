"""Which arrangement carries a request: DPAS, DPAS via a SOSA, voluntary, or none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .deadlines import zone_named
from .decision import Finding, Path, finding
from .partners import Partner, PartnerRegistry
from .priority_request import US, PriorityRequest, RequesterKind
from .rule_ids import RuleId

_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PathChoice:
    """The chosen path, the partner involved (if any), the supplier's zone and the findings."""

    path: Path
    partner: Partner | None
    zone: ZoneInfo | None
    findings: tuple[Finding, ...]


def choose_path(request: PriorityRequest, *, registry: PartnerRegistry) -> PathChoice:
    """Decide the path from the requester, the supplier's country and the partner registry.

    - US DoD requester, US supplier: a DPAS rated order (15 CFR 700.13(a)).
    - Partner ministry requester, US supplier: DPAS via the SOSA, after a DoD program
      determination and a Commerce rating authorization (15 CFR 700.57(a)).
    - US DoD requester, supplier in a partner country: a voluntary request through the
      partner's liaison under its Code of Conduct; a DPAS rating has no force abroad.
    - Anything else: no arrangement applies.
    - A requester whose kind and country are its own statement, not the party registry's:
      no path (PATH_REQUESTER_KIND_UNREGISTERED).
    """
    zone = zone_named(request.supplier.timezone)
    if not request.requester.registered:
        return _none(RuleId.PATH_REQUESTER_KIND_UNREGISTERED, _unregistered(request), zone)
    problems = _party_problems(request)
    if problems:
        return PathChoice(path=Path.NONE, partner=None, zone=zone, findings=tuple(problems))
    if request.requester.kind is RequesterKind.US_DOD:
        return _from_us(request, registry, zone)
    return _from_partner(request, registry, zone)


def _from_us(
    request: PriorityRequest, registry: PartnerRegistry, zone: ZoneInfo | None
) -> PathChoice:
    supplier = request.supplier.country
    if supplier == US:
        reason = "A US DoD rated order to a US supplier is governed by DPAS (15 CFR 700)."
        return PathChoice(
            path=Path.DPAS,
            partner=None,
            zone=zone,
            findings=(finding(RuleId.DPAS_PATH_US_ORDER, reason),),
        )
    partner = registry.get(supplier)
    if partner is None:
        reason = (
            f"The supplier is in {supplier}, which has no Security of Supply Arrangement with the "
            "US, and a DPAS rating has no legal force outside the US. Ask a US supplier, or "
            "seek support through other government-to-government channels."
        )
        return _none(RuleId.SOSA_NO_ARRANGEMENT_SUPPLIER_COUNTRY, reason, zone)
    reason = (
        f"The supplier is in {partner.name}, a SOSA partner: the request goes government to "
        f"government through {partner.liaison.office} ({partner.liaison.party_id}); the firm "
        "answers voluntarily under its country's Code of Conduct."
    )
    return _with_partner(request, partner, Path.VOLUNTARY, RuleId.SOSA_VOLUNTARY_PATH, reason, zone)


def _from_partner(
    request: PriorityRequest, registry: PartnerRegistry, zone: ZoneInfo | None
) -> PathChoice:
    country = request.requester.country
    partner = registry.get(country)
    if partner is None:
        reason = (
            f"{country} has no Security of Supply Arrangement with the US, so the exchange "
            "cannot carry its request. Ask through Commerce (15 CFR 700.57, Form BIS-999)."
        )
        return _none(RuleId.SOSA_NO_ARRANGEMENT_REQUESTER_COUNTRY, reason, zone)
    if request.supplier.country != US:
        reason = (
            f"A SOSA covers {partner.name}'s requests to US firms only; the supplier is in "
            f"{request.supplier.country}. Use {partner.name}'s own arrangements with that country."
        )
        return _none(RuleId.SOSA_PARTNER_TO_NON_US_SUPPLIER, reason, zone)
    reason = (
        f"{partner.name} asks a US supplier under its SOSA: DoD must first determine that the "
        "program qualifies, then Commerce must authorize a DPAS rating; only then is it a "
        "rated order the supplier must answer."
    )
    rule_id = RuleId.SOSA_PARTNER_REQUEST_PATH
    return _with_partner(request, partner, Path.DPAS_VIA_SOSA, rule_id, reason, zone)


def _with_partner(
    request: PriorityRequest,
    partner: Partner,
    path: Path,
    rule_id: RuleId,
    reason: str,
    zone: ZoneInfo | None,
) -> PathChoice:
    """The path through a partner, if its SOSA was in force when the request arrived."""
    received = request.received_at.date()
    if not partner.in_force_on(received):
        signed = partner.signed.text if partner.signed else "?"
        why = (
            f"The request was received on {received}, before {partner.name} signed its SOSA "
            f"({signed}). Resubmit it if it is still needed."
        )
        return _none(RuleId.SOSA_ARRANGEMENT_NOT_IN_FORCE, why, zone)
    findings = [finding(rule_id, reason)]
    if partner.signed is None:
        findings.append(
            finding(
                RuleId.SOSA_SIGNING_DATE_UNCONFIRMED,
                f"No source gives the date {partner.name} signed its SOSA; it is treated as in "
                "force. Confirm the date in the partner registry.",
            )
        )
    return PathChoice(path=path, partner=partner, zone=zone, findings=tuple(findings))


def _none(rule_id: RuleId, reason: str, zone: ZoneInfo | None) -> PathChoice:
    blocking = (finding(rule_id, reason, blocking=True),)
    return PathChoice(path=Path.NONE, partner=None, zone=zone, findings=blocking)


def _unregistered(request: PriorityRequest) -> str:
    """15 CFR 700.18(a)(1): only a party authorized to place a rated order places one; whether
    the requester is a DoD component or a partner ministry is the registry's to say."""
    return (
        f"The requester {request.requester.party_id} says it is a {request.requester.kind} in "
        f"{request.requester.country!r}, but the exchange's party registry does not say so: a "
        "path is never decided from a requester's own statement of what it is. An operator "
        "must set the party's kind and country in the registry."
    )


def _party_problems(request: PriorityRequest) -> list[Finding]:
    """Country codes are ISO 3166-1 alpha-2; a DoD requester is in the US and a partner ministry
    is not; the supplier's time zone is an IANA zone (the clock needs it)."""
    problems = []
    for who, code in (
        ("requester", request.requester.country),
        ("supplier", request.supplier.country),
    ):
        if not _COUNTRY.fullmatch(code):
            problems.append(
                finding(
                    RuleId.PATH_COUNTRY_CODE_INVALID,
                    f"The {who}'s country {code!r} is not an ISO 3166-1 alpha-2 code (US, IN...).",
                    blocking=True,
                )
            )
    is_us = request.requester.country == US
    if (request.requester.kind is RequesterKind.US_DOD) != is_us:
        problems.append(
            finding(
                RuleId.PATH_REQUESTER_COUNTRY_MISMATCH,
                f"A {request.requester.kind} requester cannot be in {request.requester.country!r}: "
                "a US DoD component is in US; a partner ministry is in its own country.",
                blocking=True,
            )
        )
    if zone_named(request.supplier.timezone) is None:
        problems.append(
            finding(
                RuleId.PATH_SUPPLIER_TIMEZONE_INVALID,
                f"The supplier's time zone {request.supplier.timezone!r} is not an IANA zone "
                "(e.g. America/New_York); the response clock runs in the supplier's local time.",
                blocking=True,
            )
        )
    return problems
