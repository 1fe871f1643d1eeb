"""The ACLs of a deployment, as data (sosa.infra.bus_acls): who may write, read and join what,
and that the provisioning step names groups and transactional ids as the services do."""

from __future__ import annotations

import pytest

from sosa.contracts import topics
from sosa.infra.bus_acls import (
    AclBinding,
    BusLayout,
    Operation,
    PatternType,
    ResourceType,
    bindings,
)
from sosa.infra.bus_provisioning import ProvisioningSettings
from sosa.intake.settings import IntakeSettings
from sosa.notifier.settings import NotifierSettings
from sosa.router.settings import RouterSettings

PREFIX = "t0."
LAYOUT = BusLayout(
    topic_prefix=PREFIX,
    intake_read_model_group="t0.intake",
    router_group="t0.router",
    router_transactional_id="t0.router",
    notifier_group="t0.notifier",
    notifier_parties_group="t0.notifier-parties",
)
DLQ = topics.dead_letter


def allowed(operation: Operation, kind: ResourceType) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for b in bindings(LAYOUT):
        if b.operation is operation and b.resource_type is kind:
            name = b.resource_name + ("*" if b.pattern_type is PatternType.PREFIXED else "")
            found.setdefault(b.principal.removeprefix("User:"), set()).add(name)
    return found


def test_each_topic_has_only_its_writers() -> None:
    writes = allowed(Operation.WRITE, ResourceType.TOPIC)
    writers: dict[str, set[str]] = {}
    for user, names in writes.items():
        for name in names:
            writers.setdefault(name.removeprefix(PREFIX), set()).add(user)
    assert writers == {
        topics.REQUESTS: {"sosa-intake", "sosa-router"},  # the router: its clock ticks
        topics.PARTIES: {"sosa-intake"},
        topics.AUDIT_CHECKPOINTS: {"sosa-intake"},
        topics.OUTCOMES: {"sosa-router"},
        topics.DELIVERIES: {"sosa-notifier"},
        DLQ(topics.REQUESTS): {"sosa-router"},
        DLQ(topics.OUTCOMES): {"sosa-intake", "sosa-notifier"},
        DLQ(topics.PARTIES): {"sosa-notifier"},
    }
    assert "sosa-operator" not in writes


def test_each_principal_reads_only_what_it_needs() -> None:
    reads = allowed(Operation.READ, ResourceType.TOPIC)
    assert reads == {
        "sosa-intake": {
            f"{PREFIX}{t}"
            for t in (
                topics.OUTCOMES,
                topics.AUDIT_CHECKPOINTS,
                DLQ(topics.REQUESTS),
                DLQ(topics.OUTCOMES),
                DLQ(topics.PARTIES),
            )
        },
        "sosa-router": {f"{PREFIX}{topics.REQUESTS}"},
        "sosa-notifier": {f"{PREFIX}{topics.OUTCOMES}", f"{PREFIX}{topics.PARTIES}"},
        "sosa-operator": {f"{PREFIX}sosa.*"},
    }
    assert allowed(Operation.READ, ResourceType.GROUP) == {
        "sosa-intake": {
            "t0.intake*",  # its read model; and the replay of the dead letters it may write back
            f"{PREFIX}{DLQ(topics.REQUESTS)}.replay",
            f"{PREFIX}{DLQ(topics.PARTIES)}.replay",
        },
        "sosa-router": {"t0.router*"},
        "sosa-notifier": {"t0.notifier*", "t0.notifier-parties*"},
    }
    assert allowed(Operation.DESCRIBE, ResourceType.GROUP) == {
        "sosa-intake": {"t0.router", "t0.notifier"}  # the pipeline panel's lag
    }


def test_only_the_router_has_transactional_ids_and_nobody_creates_or_touches_the_cluster() -> None:
    assert allowed(Operation.WRITE, ResourceType.TRANSACTIONAL_ID) == {
        "sosa-router": {"t0.router*"}
    }
    kinds = {b.resource_type for b in bindings(LAYOUT)}
    assert ResourceType.CLUSTER not in kinds
    assert not [b for b in bindings(LAYOUT) if b.operation is Operation.CREATE]


def test_every_binding_stays_within_the_deployment_prefix() -> None:
    for b in bindings(LAYOUT):
        assert isinstance(b, AclBinding)
        assert b.resource_name.startswith(PREFIX), b


@pytest.mark.parametrize(
    ("field", "settings"),
    [
        ("intake_read_model_group", IntakeSettings),
        ("router_group", RouterSettings),
        ("router_transactional_id", RouterSettings),
        ("notifier_group", NotifierSettings),
        ("notifier_parties_group", NotifierSettings),
    ],
)
def test_provisioning_names_groups_and_transactional_ids_as_the_services_do(
    field: str, settings: type
) -> None:
    assert (
        ProvisioningSettings.model_fields[field].default == settings.model_fields[field].default  # type: ignore[attr-defined]
    )


def test_intake_s_http_replay_offers_exactly_the_topics_whose_replay_groups_it_may_join() -> None:
    from sosa.infra.bus_acls import REPLAYED_BY_INTAKE
    from sosa.intake.api.dead_letters import Replayable

    assert set(Replayable.__args__) == set(REPLAYED_BY_INTAKE)  # type: ignore[attr-defined]
