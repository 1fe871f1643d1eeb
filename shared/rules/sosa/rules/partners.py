"""The SOSA partner registry: who signed when, each partner's liaison, calendar and target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache

from . import datafiles
from .datafiles import DataFileError, Row

DATA_FILE = "partners.json"


class CodeOfConduct(StrEnum):
    """Whether the partner's government-industry Code of Conduct exists (rulebook section 7.3)."""

    IN_PLACE = "in_place"
    PENDING = "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningDate:
    """When a SOSA was signed, as precisely as the sources say (a year, a month or a day)."""

    text: str
    earliest: date
    """The first day consistent with `text`: a request before it predates the arrangement."""
    exact: bool

    @classmethod
    def parse(cls, text: str) -> SigningDate:
        """Parse YYYY, YYYY-MM or YYYY-MM-DD."""
        try:
            parts = [int(p) for p in text.split("-")]
            year, month, day = (*parts, 1, 1)[:3]
            earliest = date(year, month, day)
        except ValueError as error:
            raise DataFileError(f"signing date is not YYYY[-MM[-DD]]: {text!r}") from error
        if len(parts) > 3:
            raise DataFileError(f"signing date is not YYYY[-MM[-DD]]: {text!r}")
        return cls(text=text, earliest=earliest, exact=len(parts) == 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseTarget:
    """A partner's voluntary response target: working days or clock hours. Never statutory."""

    working_days: int | None = None
    hours: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Liaison:
    """The partner ministry's security-of-supply office that relays requests to its firms."""

    party_id: str
    office: str
    confirmed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner:
    """One SOSA partner (rulebook section 7.2)."""

    country: str
    name: str
    signed: SigningDate | None
    """None when no source gives the date (Canada, Latvia): treated as in force."""
    provisional: bool
    liaison: Liaison
    calendar_country: str
    response_target: ResponseTarget | None
    code_of_conduct: CodeOfConduct
    rating_sections: tuple[str, ...]
    """Schedule I sections a Commerce rating authorization for this partner is expected to use."""

    def in_force_on(self, day: date) -> bool:
        """True unless the request predates the earliest possible signing day."""
        return self.signed is None or day >= self.signed.earliest


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerRegistry:
    """The SOSA partners. Build with `default()` or `from_dict(...)`; no target by default."""

    partners: tuple[Partner, ...]
    _by_country: Mapping[str, Partner] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_country", {p.country: p for p in self.partners})

    @classmethod
    def default(cls) -> PartnerRegistry:
        """The packaged `data/partners.json`: 19 partners as of Oct 2024."""
        return _default()

    @classmethod
    def from_dict(cls, data: Row) -> PartnerRegistry:
        """Build from a mapping shaped like `data/partners.json` (a service's override)."""
        sections = datafiles.texts(data, "default_rating_sections")
        return cls(
            partners=tuple(_partner(row, sections) for row in datafiles.rows(data, "partners"))
        )

    def get(self, country: str) -> Partner | None:
        """The partner for an ISO 3166-1 alpha-2 code, or None when there is no SOSA."""
        return self._by_country.get(country)


def _partner(row: Row, default_sections: tuple[str, ...]) -> Partner:
    country = datafiles.text(row, "country")
    signed = datafiles.optional_text(row, "signed")
    return Partner(
        country=country,
        name=datafiles.text(row, "name"),
        signed=SigningDate.parse(signed) if signed else None,
        provisional=datafiles.flag(row, "provisional"),
        liaison=_liaison(row),
        calendar_country=datafiles.optional_text(row, "calendar_country") or country,
        response_target=_target(datafiles.section(row, "response_target")),
        code_of_conduct=_code_of_conduct(datafiles.optional_text(row, "code_of_conduct")),
        rating_sections=datafiles.texts(row, "rating_sections") or default_sections,
    )


def _code_of_conduct(text: str | None) -> CodeOfConduct:
    try:
        return CodeOfConduct(text or CodeOfConduct.IN_PLACE)
    except ValueError as error:
        raise DataFileError(f"code_of_conduct must be in_place or pending: {text!r}") from error


def _liaison(row: Row) -> Liaison:
    liaison = datafiles.section(row, "liaison")
    if liaison is None:
        raise DataFileError(f"partner {row.get('country')!r} needs a liaison")
    return Liaison(
        party_id=datafiles.text(liaison, "party_id"),
        office=datafiles.text(liaison, "office"),
        confirmed=datafiles.flag(liaison, "confirmed"),
    )


def _target(target: Row | None) -> ResponseTarget | None:
    if target is None:
        return None
    days = datafiles.optional_int(target, "working_days")
    hours = datafiles.optional_int(target, "hours")
    if (days is None) == (hours is None):
        raise DataFileError("a response target gives either working_days or hours")
    return ResponseTarget(working_days=days, hours=hours)


@cache
def _default() -> PartnerRegistry:
    return PartnerRegistry.from_dict(datafiles.load(DATA_FILE))
