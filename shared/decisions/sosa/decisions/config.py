"""What the rules are configured with, and which parties act as the US authorities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sosa.rules import Authority, PartnerRegistry, PostureBook, WorkingCalendar


@dataclass(frozen=True, slots=True)
class RulesConfig:
    registry: PartnerRegistry
    calendar: WorkingCalendar
    authority_parties: dict[Authority, str]
    postures: PostureBook
    """What each posture sets (`data/postures.json`)."""

    @classmethod
    def load(
        cls,
        *,
        extra_closures: Sequence[str] = (),
        determination_party: str = "us-dod-ibp",
        authorization_party: str = "us-doc-bis",
    ) -> RulesConfig:
        return cls(
            registry=PartnerRegistry.default(),
            calendar=WorkingCalendar.us_federal(
                extra_closures=[date.fromisoformat(d) for d in extra_closures]
            ),
            authority_parties={
                Authority.DOD_PROGRAM_DETERMINATION: determination_party,
                Authority.COMMERCE_RATING_AUTHORIZATION: authorization_party,
            },
            postures=PostureBook.default(),
        )

    @property
    def determination_party(self) -> str:
        return self.authority_parties[Authority.DOD_PROGRAM_DETERMINATION]

    @property
    def authorization_party(self) -> str:
        return self.authority_parties[Authority.COMMERCE_RATING_AUTHORIZATION]
