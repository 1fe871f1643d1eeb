"""Resilience analytics over a population of requests (pure: no I/O, no clock).

The arrangement is also "a tool for developing investment strategies to ensure redundancy and
security" (rulebook section 7). These figures read the exchange's own record of who was asked for
what and how they answered:

- concentration: each supplier's share of the rated work per program symbol and per item, and the
  Herfindahl-Hirschman index (the sum of squared shares: 1 means one supplier has it all);
- redundancy gaps: programs or items with at most one supplier that has accepted such work;
- overdue and rejection rates per partner country, supplier and rating level;
- the median time to answer per path, and the delay of counter-offers (earliest date offered
  minus the date required).

Each function takes `Case`s (one per request the caller may see, in the period asked for) and says
how it counted in `METHODS`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

ANSWERED: Final = frozenset(
    {"accepted", "rejected_by_supplier", "counter_offered", "declined", "fulfilled"}
)
"""States reached by a supplier's answer (a fulfilled order was accepted first)."""
REFUSED: Final = frozenset({"rejected_by_supplier", "counter_offered", "declined"})
"""Answers that are not an acceptance: a rejection, a counter-offer, a voluntary decline."""
ACCEPTING: Final = frozenset({"accepted", "fulfilled"})
CLOCKED: Final = ANSWERED | {"overdue"}
"""Requests whose clock ran to an end: answered, or not in time."""

METHODS: Final = {
    "concentration": "Rated requests only (a DPAS rating, given or authorized). Each request "
    "counts once for its program symbol (the rating after DO-/DX-) and once for each distinct "
    "item it names (description, case and spaces folded). Share = a supplier's requests / all "
    "requests of that program or item. HHI = sum of squared shares (1/n for n equal suppliers, "
    "1 for a single one).",
    "redundancy_gaps": "Programs and items (as in concentration, all requests) with fewer than "
    "two distinct suppliers that accepted (state accepted or fulfilled) at least one such "
    "request; `accepting` lists them (0 or 1).",
    "rates": "Per group: overdue rate = requests now overdue / requests whose clock ran to an "
    "end (answered or overdue); rejection rate = rejections, counter-offers and declines / "
    "answered requests. Partner country: the SOSA partner of the request, US for US DoD orders "
    "to US firms. Rating level: DO, DX, or none (voluntary).",
    "answer_times": "Per path: median hours from the start of the response clock (receipt on "
    "the DPAS path, Commerce's authorization on DPAS via SOSA) to the supplier's first answer; "
    "requests never answered are not counted.",
    "counter_offers": "Requests answered with an offered date (a 15 CFR 700.13(b) counter-offer "
    "or a partial acceptance): offered date minus the earliest required delivery date, in days; "
    "median and largest per supplier, and over all.",
}


@dataclass(frozen=True, slots=True)
class Case:
    """What the figures need of one request."""

    request_id: str
    state: str
    path: str | None
    supplier: str
    partner_country: str
    rating: str | None
    items: tuple[str, ...]
    clock_started_at: datetime | None = None
    answered_at: datetime | None = None
    required_date: date | None = None
    offered_date: date | None = None

    @property
    def program(self) -> str | None:
        """The program symbol of the rating (DO-A3 -> A3)."""
        if not self.rating or "-" not in self.rating:
            return None
        return self.rating.split("-", 1)[1]

    @property
    def level(self) -> str:
        return self.rating.split("-", 1)[0] if self.rating else "none"


def item_key(description: str) -> str:
    """An item as the figures group it: case and runs of spaces folded."""
    return " ".join(description.lower().split())


@dataclass(frozen=True, slots=True)
class Concentration:
    dimension: str
    """`program` or `item`."""
    key: str
    total: int
    shares: dict[str, float]
    """supplier -> share of the requests, summing to 1."""
    hhi: float


def _keys(case: Case, dimension: str) -> Iterable[str]:
    if dimension == "program":
        return [case.program] if case.program else []
    return sorted({item_key(i) for i in case.items if i.strip()})


def concentration(cases: Sequence[Case], dimension: str) -> list[Concentration]:
    """Each supplier's share of the rated requests per program symbol or item, most
    concentrated first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        if case.rating:
            for key in _keys(case, dimension):
                counts[key][case.supplier] += 1
    found = []
    for key, per_supplier in counts.items():
        total = sum(per_supplier.values())
        shares = {s: n / total for s, n in sorted(per_supplier.items())}
        found.append(
            Concentration(dimension, key, total, shares, sum(x * x for x in shares.values()))
        )
    return sorted(found, key=lambda c: (-c.hhi, -c.total, c.key))


@dataclass(frozen=True, slots=True)
class Gap:
    dimension: str
    key: str
    requests: int
    accepting: list[str]
    """The suppliers that accepted such a request: none or one."""


def redundancy_gaps(cases: Sequence[Case], dimension: str) -> list[Gap]:
    """Programs or items with fewer than two accepting suppliers."""
    requests: Counter[str] = Counter()
    accepting: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        for key in _keys(case, dimension):
            requests[key] += 1
            if case.state in ACCEPTING:
                accepting[key].add(case.supplier)
    return sorted(
        (
            Gap(dimension, key, n, sorted(accepting[key]))
            for key, n in requests.items()
            if len(accepting[key]) < 2
        ),
        key=lambda g: (len(g.accepting), -g.requests, g.key),
    )


@dataclass(frozen=True, slots=True)
class Rate:
    group_by: str
    key: str
    requests: int
    clocked: int
    overdue: int
    answered: int
    refused: int
    overdue_rate: float | None
    rejection_rate: float | None


GROUPS: Final[dict[str, Callable[[Case], str]]] = {
    "partner_country": lambda c: c.partner_country,
    "supplier": lambda c: c.supplier,
    "rating_level": lambda c: c.level,
}


def rates(cases: Sequence[Case], group_by: str) -> list[Rate]:
    """Overdue and rejection rates per partner country, supplier or rating level."""
    key_of = GROUPS[group_by]
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[key_of(case)].append(case)
    found = []
    for key, members in sorted(groups.items()):
        clocked = sum(c.state in CLOCKED for c in members)
        overdue = sum(c.state == "overdue" for c in members)
        answered = sum(c.state in ANSWERED for c in members)
        refused = sum(c.state in REFUSED for c in members)
        found.append(
            Rate(
                group_by,
                key,
                len(members),
                clocked,
                overdue,
                answered,
                refused,
                overdue / clocked if clocked else None,
                refused / answered if answered else None,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class AnswerTime:
    path: str
    answered: int
    median_hours: float


def answer_times(cases: Sequence[Case]) -> list[AnswerTime]:
    """The median hours from clock start to first answer, per path."""
    hours: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        if case.clock_started_at and case.answered_at and case.path:
            hours[case.path].append(
                (case.answered_at - case.clock_started_at).total_seconds() / 3600
            )
    return [
        AnswerTime(path, len(values), statistics.median(values))
        for path, values in sorted(hours.items())
    ]


@dataclass(frozen=True, slots=True)
class CounterOfferDelay:
    supplier: str
    offers: int
    median_days: float
    max_days: int


def counter_offer_delays(cases: Sequence[Case]) -> list[CounterOfferDelay]:
    """Offered minus required date, in days, per supplier and (`*`) over all."""
    delays: dict[str, list[int]] = defaultdict(list)
    for case in cases:
        if case.offered_date and case.required_date:
            days = (case.offered_date - case.required_date).days
            delays[case.supplier].append(days)
            delays["*"].append(days)
    return [
        CounterOfferDelay(supplier, len(days), statistics.median(days), max(days))
        for supplier, days in sorted(delays.items())
    ]
