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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

ANSWERED: Final = frozenset(
    {"accepted", "rejected_by_supplier", "counter_offered", "declined", "fulfilled"}
)
"""States reached by a supplier's answer (a fulfilled order was accepted first)."""
REFUSED: Final = frozenset({"rejected_by_supplier", "counter_offered", "declined"})
"""Answers that are not an acceptance: a rejection, a counter-offer, a voluntary decline."""
ACCEPTING: Final = frozenset({"accepted", "fulfilled"})
OVERDUE: Final = "overdue"
READ_STATES: Final = ANSWERED | {OVERDUE}
"""The states of a request's history that the figures read (`Step`)."""

METHODS: Final = {
    "concentration": "Rated requests only (a DPAS rating, given or authorized). Each request "
    "counts once for its program symbol (the rating after DO-/DX-) and once for each distinct "
    "item it names (description, case and spaces folded). Share = a supplier's requests / all "
    "requests of that program or item. HHI = sum of squared shares (1/n for n equal suppliers, "
    "1 for a single one). Exact: over all time from counts kept per program or item and "
    "supplier as outcomes arrive; over a period, by program from the counts kept per day of "
    "receipt (and the requests of a partial first or last day), by item from the requests "
    "received in it.",
    "redundancy_gaps": "Programs and items (as in concentration, all requests) with fewer than "
    "two distinct suppliers that accepted at least one such request (at any time, so an order "
    "accepted and then fulfilled or cancelled still counts); `accepting` lists them (0 or 1). "
    "Counted as concentration is.",
    "rates": "Per group: overdue rate = requests that missed their deadline (went overdue, or "
    "were answered only after it) / requests whose clock ran to an end (answered or overdue); "
    "rejection rate = requests whose supplier's first answer was a rejection, a counter-offer or "
    "a decline / requests answered. Partner country: the SOSA partner of the request, US for US "
    "DoD orders to US firms. Rating level: DO, DX, or none (voluntary).",
    "answer_times": "Per path: median hours from the start of the response clock that the "
    "supplier's first answer stopped (receipt on the DPAS path, Commerce's authorization on "
    "DPAS via SOSA, the latest clock restart of an amendment) to that answer; requests never "
    "answered are not counted. An estimate: the times are kept in buckets (1 s wide below 100 s, "
    "else two significant digits of the time in seconds), and the median is the mean of the "
    "times in the bucket of the middle answer, within that bucket's width of the exact median "
    "(at most 1 s below 100 s, else at most a tenth of it).",
    "counter_offers": "Each answer that offered a date (a 15 CFR 700.13(b) counter-offer or a "
    "partial acceptance): offered date minus the earliest delivery date required at the time, in "
    "days; median and largest per supplier, and over all (`*`). Exact.",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a request's history that the figures read: a supplier's answer or the
    request going overdue, with the facts its decision carried."""

    state: str
    occurred_at: datetime
    clock_started_at: datetime | None = None
    late: bool = False
    offered_date: date | None = None
    required_date: date | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A date a supplier offered against the earliest date required when it answered."""

    offered: date
    required: date

    @property
    def delay_days(self) -> int:
        return (self.offered - self.required).days


@dataclass(frozen=True, slots=True)
class Case:
    """What the figures need of one request: where it stands, and what its history says."""

    request_id: str
    state: str
    path: str | None
    supplier: str
    partner_country: str
    rating: str | None
    items: tuple[str, ...]
    first_answer: str | None = None
    """The state the supplier's first answer led to (None: never answered)."""
    answered_at: datetime | None = None
    clock_started_at: datetime | None = None
    """The start of the response clock that the first answer stopped."""
    late: bool = False
    """Missed its deadline: went overdue, or was answered only after it."""
    accepted: bool = False
    """The supplier accepted it at some time."""
    offers: tuple[Offer, ...] = ()

    @property
    def program(self) -> str | None:
        """The program symbol of the rating (DO-A3 -> A3)."""
        return program_of(self.rating)

    @property
    def level(self) -> str:
        return level_of(self.rating)

    @property
    def clocked(self) -> bool:
        """Its clock ran to an end: answered, or overdue."""
        return self.first_answer is not None or self.late


def program_of(rating: str | None) -> str | None:
    """The program symbol of a rating (DO-A3 -> A3); None without one."""
    if not rating or "-" not in rating:
        return None
    return rating.split("-", 1)[1]


def level_of(rating: str | None) -> str:
    """The rating level (DO-A3 -> DO), `none` for a request without a rating."""
    return rating.split("-", 1)[0] if rating else "none"


def with_history(case: Case, steps: Sequence[Step]) -> Case:
    """`case` with what its history (in order) says: the first answer and the clock it stopped,
    whether it missed its deadline or was ever accepted, and the dates offered."""
    answers = [s for s in steps if s.state in ANSWERED]
    first = answers[0] if answers else None
    return replace(
        case,
        first_answer=first.state if first else None,
        answered_at=first.occurred_at if first else None,
        clock_started_at=first.clock_started_at if first else None,
        late=case.state == OVERDUE or any(s.state == OVERDUE or s.late for s in steps),
        accepted=case.state in ACCEPTING or any(s.state in ACCEPTING for s in answers),
        offers=tuple(
            Offer(s.offered_date, s.required_date)
            for s in answers
            if s.offered_date is not None and s.required_date is not None
        ),
    )


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
    """supplier -> share of the requests, summing to 1 (a `limit` keeps the largest)."""
    hhi: float
    suppliers: int = 0
    """How many suppliers have a share (all of them, also when `shares` holds only some)."""


def item_keys(descriptions: Iterable[str]) -> list[str]:
    """The distinct items a request names, as the figures group them (blank ones left out)."""
    return sorted({item_key(i) for i in descriptions if i.strip()})


def _keys(case: Case, dimension: str) -> Iterable[str]:
    if dimension == "program":
        return [case.program] if case.program else []
    return item_keys(case.items)


def concentration(cases: Sequence[Case], dimension: str) -> list[Concentration]:
    """Each supplier's share of the rated requests per program symbol or item, most
    concentrated first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        if case.rating:
            for key in _keys(case, dimension):
                counts[key][case.supplier] += 1
    return concentrations(counts, dimension)


def concentrations(counts: Mapping[str, Mapping[str, int]], dimension: str) -> list[Concentration]:
    """The figures from the number of requests per key and supplier, most concentrated first."""
    found = []
    for key, per_supplier in counts.items():
        total = sum(per_supplier.values())
        shares = {s: n / total for s, n in sorted(per_supplier.items())}
        # the sum of squared shares, as one division of whole numbers: exact up to the last
        # bit whatever the order of the suppliers (so the figures' order never depends on it)
        hhi = sum(n * n for n in per_supplier.values()) / (total * total)
        found.append(Concentration(dimension, key, total, shares, hhi, len(shares)))
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
            if case.accepted:
                accepting[key].add(case.supplier)
    return gaps(requests, accepting, dimension)


def gaps(
    requests: Mapping[str, int], accepting: Mapping[str, set[str]], dimension: str
) -> list[Gap]:
    """The gaps from the number of requests per key and the suppliers that accepted one."""
    return sorted(
        (
            Gap(dimension, key, n, sorted(accepting.get(key, set())))
            for key, n in requests.items()
            if len(accepting.get(key, set())) < 2
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
    return [
        rate_of(
            group_by,
            key,
            Tally(
                requests=len(members),
                clocked=sum(c.clocked for c in members),
                overdue=sum(c.late for c in members),
                answered=sum(c.first_answer is not None for c in members),
                refused=sum(c.first_answer in REFUSED for c in members),
            ),
        )
        for key, members in sorted(groups.items())
    ]


@dataclass(frozen=True, slots=True)
class Tally:
    """What the rates count in one group."""

    requests: int
    clocked: int
    overdue: int
    answered: int
    refused: int

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.requests + other.requests,
            self.clocked + other.clocked,
            self.overdue + other.overdue,
            self.answered + other.answered,
            self.refused + other.refused,
        )


def rate_of(group_by: str, key: str, t: Tally) -> Rate:
    return Rate(
        group_by,
        key,
        t.requests,
        t.clocked,
        t.overdue,
        t.answered,
        t.refused,
        t.overdue / t.clocked if t.clocked else None,
        t.refused / t.answered if t.answered else None,
    )


@dataclass(frozen=True, slots=True)
class AnswerTime:
    path: str
    answered: int
    median_hours: float


def answer_times(cases: Sequence[Case]) -> list[AnswerTime]:
    """The median hours from the start of the clock to the first answer, per path."""
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
        for offer in case.offers:
            delays[case.supplier].append(offer.delay_days)
            delays["*"].append(offer.delay_days)
    return [
        CounterOfferDelay(supplier, len(days), statistics.median(days), max(days))
        for supplier, days in sorted(delays.items())
    ]
