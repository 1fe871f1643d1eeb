"""The resilience figures on generated populations with known answers (property tests): shares
sum to 1, the index lies between 1/n and 1, a gap disappears when a second supplier accepts,
and the rates and medians count what their method says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sosa.intake.resilience_figures import (
    Case,
    answer_times,
    concentration,
    counter_offer_delays,
    rates,
    redundancy_gaps,
)

START = datetime(2026, 7, 1, 12, tzinfo=UTC)
SUPPLIERS = st.sampled_from(["acme", "bharat", "nihon", "valveco"])
STATES = st.sampled_from(
    ["routed", "accepted", "rejected_by_supplier", "counter_offered", "declined", "overdue"]
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(0, 10_000))
    return Case(
        request_id=f"r-{n}-{draw(st.uuids())}",
        state=draw(STATES),
        path=draw(st.sampled_from(["dpas", "dpas_via_sosa", "voluntary"])),
        supplier=draw(SUPPLIERS),
        partner_country=draw(st.sampled_from(["US", "IN", "JP"])),
        rating=draw(st.sampled_from(["DO-A1", "DX-A3", "DO-B1", None])),
        items=tuple(
            draw(st.lists(st.sampled_from(["Valve", "valve ", "Pump", "Gear"]), max_size=3))
        ),
    )


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
    one = [Case(f"r{i}", "accepted", "dpas", "acme", "US", "DO-A1", ("valve",)) for i in range(3)]
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
            Case(f"new-{s}", "accepted", "dpas", s, "US", program_rating, items)
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


def test_median_answer_time_per_path_and_counter_offer_delay() -> None:
    answered = [
        Case(
            f"a{h}",
            "accepted",
            "dpas",
            "acme",
            "US",
            "DO-A1",
            (),
            START,
            START + timedelta(hours=h),
        )
        for h in (2, 10, 30)
    ]
    never = Case("b", "routed", "dpas", "acme", "US", "DO-A1", (), START, None)
    (dpas,) = answer_times([*answered, never])
    assert (dpas.path, dpas.answered, dpas.median_hours) == ("dpas", 3, 10.0)
    offers = [
        Case(
            "c1",
            "counter_offered",
            "dpas",
            "acme",
            "US",
            "DO-A1",
            (),
            required_date=date(2026, 9, 1),
            offered_date=date(2026, 9, 15),
        ),
        Case(
            "c2",
            "counter_offered",
            "dpas",
            "valveco",
            "US",
            "DO-A1",
            (),
            required_date=date(2026, 9, 1),
            offered_date=date(2026, 10, 1),
        ),
    ]
    delays = {d.supplier: d for d in counter_offer_delays(offers)}
    assert delays["acme"].median_days == 14
    assert delays["*"].offers == 2
    assert delays["*"].max_days == 30
