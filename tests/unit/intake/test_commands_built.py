"""The command each kind of details becomes, and the dry run's answer (both pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from sosa.contracts import commands
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState, RoutePath
from sosa.decisions.config import RulesConfig
from sosa.intake.commands.command_log import TYPE_OF
from sosa.intake.commands.evaluation import UndecidableError, evaluate
from sosa.intake.commands.follow_ups import LifecycleDetails, build_command
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.unit.intake.builders import DOD_REGISTERED, T0

DETAILS: list[tuple[LifecycleDetails, str, str]] = [
    (
        commands.SupplierResponseDetails(supplier_party_id="acme-valves", kind="accept"),
        commands.RESPOND,
        "response",
    ),
    (
        commands.AmendmentDetails(issued_by="dod-navsea", kind="rating_change", new_rating="DX-A3"),
        commands.AMEND,
        "amendment",
    ),
    (commands.CancellationDetails(issued_by="dod-navsea"), commands.CANCEL, "cancellation"),
    (
        commands.DeterminationDetails(
            authority_party_id="us-dod-ibp", approved=True, reference="IBP-1"
        ),
        commands.DETERMINE,
        "determination",
    ),
    (
        commands.AuthorizationDetails(
            authority_party_id="us-doc-bis", authorized=False, reference="BIS-1"
        ),
        commands.AUTHORIZE,
        "authorization",
    ),
]


@pytest.mark.parametrize(("details", "command_type", "field"), DETAILS)
def test_each_kind_of_details_travels_in_its_own_command(
    details: LifecycleDetails, command_type: str, field: str
) -> None:
    command = build_command("req-1", details, command_id="cmd-1", now=T0)
    assert TYPE_OF[type(command)] == command_type
    assert (command.command_id, command.request_id, command.received_at) == ("cmd-1", "req-1", T0)
    assert getattr(command, field) == details
    # what the router will parse from the wire is what intake built
    wire = command.model_dump_json().encode()
    assert commands.parse_command(command_type, wire) == command


def test_the_dry_run_gives_the_router_s_decision_for_a_us_rated_order() -> None:
    result = evaluate(
        PriorityRequestDetails.model_validate(DPAS_REQUEST),
        rules=RulesConfig.load(),
        now=T0,
        registered=DOD_REGISTERED,
    )
    assert (result.state, result.path) == (RequestState.ROUTED, RoutePath.DPAS)
    assert result.decision.deadline is not None
    assert result.decision.deadline > T0
    assert result.decision.ruleset_version
    assert result.parties.supplier == "acme-valves"
    assert result.evaluated_at == T0


def test_the_dry_run_says_why_a_request_would_be_rejected() -> None:
    body: dict[str, Any] = {
        **DPAS_REQUEST,
        "supplier": {"party_id": "far-away", "name": "Far Away Ltd", "country": "BR"},
    }
    result = evaluate(
        PriorityRequestDetails.model_validate(body),
        rules=RulesConfig.load(),
        now=T0,
        registered=DOD_REGISTERED,
    )
    assert result.state == RequestState.REJECTED
    assert any(f.blocking and f.citation for f in result.decision.findings)


@pytest.mark.parametrize(
    ("dates", "at"),
    [
        (["2027-03-01", "9999-12-31"], 1),
        (["0001-01-01"], 0),
        (["2201-01-01"], 0),
        (["03/01/2027"], 0),
        (["2027-03-01", "ASAP"], 1),
        (["2027-02-30"], 0),
    ],
)
def test_a_delivery_date_no_order_could_have_is_refused_where_it_enters(
    dates: list[str], at: int
) -> None:
    """A date outside 1900-2200, or not written YYYY-MM-DD (which day is 03/01/2027?), is no
    delivery date (15 CFR 700.12(a)(2)): refused as the body is read, naming the entry (#26);
    the rules refuse such dates too, for commands from before (tests/unit/rules)."""
    with pytest.raises(ValidationError) as refused:
        PriorityRequestDetails.model_validate({**DPAS_REQUEST, "required_delivery_dates": dates})
    [error] = refused.value.errors()
    assert error["loc"] == ("required_delivery_dates", at)
    assert "YYYY-MM-DD" in error["msg"] or "outside 1900-2200" in error["msg"]


def test_the_dry_run_opens_no_path_for_a_self_declared_requester() -> None:
    """Without the registry's facts the rules do not believe the body's kind (#23)."""
    result = evaluate(
        PriorityRequestDetails.model_validate(DPAS_REQUEST), rules=RulesConfig.load(), now=T0
    )
    assert (result.state, result.path) == (RequestState.REJECTED, RoutePath.NONE)
    blocking = [f.rule_id for f in result.decision.findings if f.blocking]
    assert blocking == ["PATH_REQUESTER_KIND_UNREGISTERED"]


@pytest.mark.parametrize(
    ("dates", "now", "as_of_given", "at_fault"),
    [
        (["2200-12-31"], datetime(2200, 12, 20, tzinfo=UTC), True, ("query", "as_of")),
        (["2200-12-31"], datetime(2200, 12, 20, tzinfo=UTC), False, ("body",)),
    ],
)
def test_a_decision_out_of_range_is_undecidable_naming_the_input_at_fault(
    dates: list[str], now: datetime, as_of_given: bool, at_fault: tuple[str | int, ...]
) -> None:
    """No message may carry a date outside 1900-2200 (sosa.contracts.instants): a delivery date
    of the year 9999, or a deadline that as_of pushes past 2200, is a 422, never a 500."""
    details = PriorityRequestDetails.model_validate(
        {**DPAS_REQUEST, "required_delivery_dates": dates}
    )
    with pytest.raises(UndecidableError) as refused:
        evaluate(
            details,
            rules=RulesConfig.load(),
            now=now,
            as_of_given=as_of_given,
            registered=DOD_REGISTERED,
        )
    assert at_fault in {tuple(error["loc"]) for error in refused.value.errors}
