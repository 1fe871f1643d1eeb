"""The resilience figures on generated populations with known answers (property tests): shares
sum to 1, the index lies between 1/n and 1, a gap disappears when a second supplier accepts,
and the rates and medians count what their method says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sosa.intake.insights.resilience_figures import (
    Case,
    Step,
    answer_times,
    concentration,
    counter_offer_delays,
    rates,
    redundancy_gaps,
    with_history,
)

START = datetime(2026, 7, 1, 12, tzinfo=UTC)
SUPPLIERS = st.sampled_from(["acme", "bharat", "nihon", "valveco"])
HISTORY_STATES = st.sampled_from(
    ["accepted", "rejected_by_supplier", "counter_offered", "declined", "overdue", "fulfilled"]
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(0, 10_000))
    history = [
        Step(state, START + timedelta(hours=h), START, late=draw(st.booleans()))
        for h, state in enumerate(draw(st.lists(HISTORY_STATES, max_size=3)))
    ]
    case = Case(
        request_id=f"r-{n}-{draw(st.uuids())}",
        state=history[-1].state if history else draw(st.sampled_from(["routed", "cancelled"])),
        path=draw(st.sampled_from(["dpas", "dpas_via_sosa", "voluntary"])),
        supplier=draw(SUPPLIERS),
        partner_country=draw(st.sampled_from(["US", "IN", "JP"])),
        rating=draw(st.sampled_from(["DO-A1", "DX-A3", "DO-B1", None])),
        items=tuple(
            draw(st.lists(st.sampled_from(["Valve", "valve ", "Pump", "Gear"]), max_size=3))
        ),
    )
    return with_history(case, history)


@given(st.lists(cases(), max_size=60), st.sampled_from(["program", "item"]))
def test_shares_sum_to_one_and_the_index_lies_between_one_over_n_and_one(
    population: list[Case], dimension: str
) -> None:
    for figure in concentration(population, dimension):
        assert abs(sum(figure.shares.values()) - 1) < 1e-9
        n = len(figure.shares)
        assert 1 / n - 1e-9 <= figure.hhi <= 1 + 1e-9
        assert figure.total == sum(
            1
            for c in population
            if c.rating
            and (
                c.program == figure.key
                if dimension == "program"
                else figure.key in {" ".join(i.lower().split()) for i in c.items}
            )
        )


def test_a_single_supplier_is_fully_concentrated_and_four_equal_ones_a_quarter() -> None:
    one = [Case(f"r{i}", "routed", "dpas", "acme", "US", "DO-A1", ("valve",)) for i in range(3)]
    (figure,) = concentration(one, "program")
    assert figure.shares == {"acme": 1.0}
    assert figure.hhi == 1.0
    four = [
        Case(f"q{i}", "routed", "dpas", s, "US", "DX-A3", ())
        for i, s in enumerate(["a", "b", "c", "d"])
    ]
    (even,) = concentration(four, "program")
    assert even.hhi == 0.25


@given(st.lists(cases(), max_size=40), st.sampled_from(["program", "item"]))
def test_a_gap_disappears_when_a_second_supplier_accepts(
    population: list[Case], dimension: str
) -> None:
    for gap in redundancy_gaps(population, dimension):
        assert len(gap.accepting) < 2
        others = sorted({"acme", "bharat", "nihon", "valveco", "zeta"} - set(gap.accepting))
        program_rating = f"DO-{gap.key}" if dimension == "program" else "DO-A1"
        items = (gap.key,) if dimension == "item" else ()
        added = [
            Case(f"new-{s}", "accepted", "dpas", s, "US", program_rating, items, accepted=True)
            for s in others[: 2 - len(gap.accepting)]
        ]
        after = {g.key for g in redundancy_gaps([*population, *added], dimension)}
        assert gap.key not in after


@given(
    st.lists(cases(), max_size=60), st.sampled_from(["partner_country", "supplier", "rating_level"])
)
def test_rates_count_their_groups_whole(population: list[Case], group_by: str) -> None:
    found = rates(population, group_by)
    assert sum(r.requests for r in found) == len(population)
    for r in found:
        assert r.overdue <= r.clocked
        assert r.refused <= r.answered
        if r.overdue_rate is not None:
            assert 0 <= r.overdue_rate <= 1
        if r.rejection_rate is not None:
            assert 0 <= r.rejection_rate <= 1


def answered(request_id: str, hours: float, *, path: str = "dpas", supplier: str = "acme") -> Case:
    case = Case(request_id, "accepted", path, supplier, "US", "DO-A1", ())
    return with_history(case, [Step("accepted", START + timedelta(hours=hours), START)])


def test_median_answer_time_per_path_counts_answered_requests_only() -> None:
    never = Case("b", "routed", "dpas", "acme", "US", "DO-A1", ())
    voluntary = answered("v", 48, path="voluntary")
    found = answer_times(
        [answered("a2", 2), answered("a10", 10), answered("a30", 30), never, voluntary]
    )
    assert [(t.path, t.answered, t.median_hours) for t in found] == [
        ("dpas", 3, 10.0),
        ("voluntary", 1, 48.0),
    ]


def test_answer_time_counts_from_the_clock_the_first_answer_stopped() -> None:
    """An amendment restarted the clock (a new clock_started_at) before the first answer; a
    later answer, after a second restart, does not change the figure."""
    restarted = START + timedelta(days=3)
    case = with_history(
        Case("r", "accepted", "dpas", "acme", "US", "DO-A1", ()),
        [
            Step("counter_offered", restarted + timedelta(hours=5), restarted),
            Step("accepted", START + timedelta(days=9), START + timedelta(days=8)),
        ],
    )
    (only,) = answer_times([case])
    assert only.median_hours == 5.0
    assert case.first_answer == "counter_offered"


def test_a_late_answer_counts_as_overdue_and_a_first_refusal_as_a_rejection() -> None:
    """Missed deadlines are counted from the history, not from where a request stands now: one
    went overdue and was accepted later, one was answered late before its overdue step, one
    counter-offered and then accepted an amendment."""
    base = Case("x", "accepted", "dpas", "acme", "US", "DX-A3", ())
    went_overdue = with_history(
        replace(base, request_id="o"), [Step("overdue", START), Step("accepted", START)]
    )
    answered_late = with_history(
        replace(base, request_id="l"), [Step("accepted", START, late=True)]
    )
    countered = with_history(
        replace(base, request_id="c"),
        [Step("counter_offered", START), Step("accepted", START + timedelta(days=1))],
    )
    on_time = with_history(replace(base, request_id="t"), [Step("accepted", START)])
    still_open = replace(base, request_id="w", state="routed")
    (dx,) = rates([went_overdue, answered_late, countered, on_time, still_open], "rating_level")
    assert (dx.requests, dx.clocked, dx.overdue, dx.answered, dx.refused) == (5, 4, 2, 4, 1)
    assert (dx.overdue_rate, dx.rejection_rate) == (0.5, 0.25)
    assert countered.accepted
    assert went_overdue.accepted


def test_an_order_accepted_then_cancelled_still_counts_as_an_accepting_supplier() -> None:
    cancelled = with_history(
        Case("k", "cancelled", "dpas", "acme", "US", "DO-A1", ("valve",)),
        [Step("accepted", START)],
    )
    other = with_history(
        Case("m", "fulfilled", "dpas", "nihon", "US", "DO-A1", ("valve",)),
        [Step("accepted", START), Step("fulfilled", START + timedelta(days=30))],
    )
    assert redundancy_gaps([cancelled, other], "item") == []
    (gap,) = redundancy_gaps([cancelled], "program")
    assert gap.accepting == ["acme"]


def test_counter_offer_delay_counts_every_offer_against_the_dates_required_then() -> None:
    """Two offers on one request (the second after an amendment moved the required date), one
    on another: each offer is measured against the date required when it was made."""
    first = with_history(
        Case("c1", "counter_offered", "dpas", "acme", "US", "DO-A1", ()),
        [
            Step(
                "counter_offered",
                START,
                offered_date=date(2026, 9, 15),
                required_date=date(2026, 9, 1),
            ),
            Step(
                "counter_offered",
                START,
                offered_date=date(2026, 10, 20),
                required_date=date(2026, 10, 1),
            ),
        ],
    )
    second = with_history(
        Case("c2", "accepted", "voluntary", "valveco", "IN", None, ()),
        [Step("accepted", START, offered_date=date(2026, 10, 1), required_date=date(2026, 9, 1))],
    )
    delays = {d.supplier: d for d in counter_offer_delays([first, second])}
    assert (delays["acme"].offers, delays["acme"].median_days, delays["acme"].max_days) == (
        2,
        16.5,
        19,
    )
    assert (delays["*"].offers, delays["*"].median_days, delays["*"].max_days) == (3, 19, 30)


@given(st.lists(st.integers(1, 12), min_size=1, max_size=6))
def test_a_generated_population_gives_the_index_computed_by_hand(counts: list[int]) -> None:
    """Supplier i gets counts[i] rated requests for program B1 (and the index of a split known
    in advance is the sum of the squared shares), of which the first counts[i] // 3 went overdue
    and were then answered."""
    population = []
    for i, n in enumerate(counts):
        for j in range(n):
            case = Case(f"s{i}-{j}", "accepted", "dpas", f"s{i}", "US", "DO-B1", ("pump",))
            steps = [Step("overdue", START)] if j < n // 3 else []
            population.append(with_history(case, [*steps, Step("accepted", START)]))
    total = sum(counts)
    (figure,) = concentration(population, "program")
    assert figure.total == total
    assert abs(figure.hhi - sum((n / total) ** 2 for n in counts)) < 1e-9
    for i, n in enumerate(counts):
        assert abs(figure.shares[f"s{i}"] - n / total) < 1e-9
    by_supplier = {r.key: r for r in rates(population, "supplier")}
    for i, n in enumerate(counts):
        assert by_supplier[f"s{i}"].overdue == n // 3
        assert by_supplier[f"s{i}"].overdue_rate == (n // 3) / n
