"""The attributes an operator sets on a party (kind, country, a supplier's time zone and
Code-of-Conduct status), and the checks that keep them consistent with what the rules know."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sosa.contracts.parties import (
    PARTNER_KINDS,
    SUPPLIER_KINDS,
    US_KINDS,
    PartyAttributes,
    PartyKind,
)

FIELDS = ("kind", "country", "timezone", "code_of_conduct_signatory")
US = "US"


class AttributesError(ValueError):
    """The attributes do not fit together; `errors` name each field at fault."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(e['loc'][1:])}: {e['msg']}" for e in errors))
        self.errors = errors


def _error(field: str, message: str) -> dict[str, Any]:
    return {"loc": ("body", field), "msg": message, "type": "value_error"}


def _iana(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def checked(
    current: Mapping[str, Any], changes: Mapping[str, Any], *, is_partner: Callable[[str], bool]
) -> dict[str, Any]:
    """The party's attributes after `changes` (None in `changes`: unchanged), checked together.

    - a kind is needed before any other attribute;
    - US kinds (DoD, US supplier, the authorities) are in US, which is filled in when omitted;
    - partner ministries, partner suppliers and liaisons are in a SOSA partner the rules know
      (`is_partner`, the router's partner registry);
    - only suppliers have a time zone (IANA), only partner suppliers a Code-of-Conduct status.
    Raises AttributesError naming each field at fault."""
    merged = {f: changes.get(f) if changes.get(f) is not None else current.get(f) for f in FIELDS}
    if all(v is None for v in merged.values()):
        return merged
    if merged["kind"] is None:
        raise AttributesError([_error("kind", "set the party's kind with its other attributes")])
    kind = PartyKind(merged["kind"])
    if kind in US_KINDS and merged["country"] is None:
        merged["country"] = US
    errors = [
        *_country_errors(kind, merged["country"], is_partner),
        *_supplier_errors(kind, merged["timezone"], merged["code_of_conduct_signatory"]),
    ]
    if errors:
        raise AttributesError(errors)
    merged["kind"] = str(kind)
    return merged


def _country_errors(
    kind: PartyKind, country: str | None, is_partner: Callable[[str], bool]
) -> list[dict[str, Any]]:
    if kind in US_KINDS and country != US:
        return [_error("country", f"a {kind} party is in US, not {country}")]
    if kind in PARTNER_KINDS and country is None:
        return [_error("country", f"a {kind} party needs its SOSA partner country")]
    if kind in PARTNER_KINDS and country is not None and not is_partner(country):
        return [_error("country", f"{country} is not a SOSA partner the rules know ({kind})")]
    return []


def _supplier_errors(
    kind: PartyKind, timezone: str | None, signatory: bool | None
) -> list[dict[str, Any]]:
    errors = []
    if timezone is not None and kind not in SUPPLIER_KINDS:
        errors.append(_error("timezone", f"only suppliers have a time zone, not a {kind}"))
    elif timezone is not None and not _iana(timezone):
        errors.append(_error("timezone", f"{timezone!r} is not an IANA time zone"))
    if signatory is not None and kind is not PartyKind.PARTNER_SUPPLIER:
        reason = f"only a partner-country firm signs a Code of Conduct, not a {kind}"
        errors.append(_error("code_of_conduct_signatory", reason))
    return errors


def attributes_of(row: Any) -> PartyAttributes | None:
    """The registry's attributes of a `parties` row; None when no operator has set them."""
    if row is None or row.kind is None:
        return None
    return PartyAttributes(
        kind=PartyKind(row.kind),
        country=row.country,
        timezone=row.timezone,
        code_of_conduct_signatory=row.code_of_conduct_signatory,
    )
