"""Who may do what on the bus: the ACLs of one deployment, as data.

One principal per service and one for the operators' tool; the broker's super user (the brokers'
own identity, and the provisioning step's) needs none. For a deployment whose topics carry the
prefix P:

- intake writes P+requests, P+parties and P+outcomes.dlq, and P+audit-checkpoints (its audit
  log's `prune`, run with intake's settings); reads P+outcomes (its read model's group),
  P+audit-checkpoints (`verify`) and, for the pipeline panel, the three .dlq topics, and
  describes the router's and the notifier's groups (their committed offsets); joins the replay
  groups of P+requests.dlq and P+parties.dlq (operators replay those through intake's API: it
  writes their original topics already);
- the router writes P+outcomes, P+requests.dlq and P+requests (its clock ticks only); reads
  P+requests (its group); owns its transactional ids (one per input partition);
- the notifier writes P+deliveries, P+outcomes.dlq and P+parties.dlq; reads P+outcomes and
  P+parties (its two groups);
- the operators' tool writes nothing; reads every topic of the deployment, without a group
  (P+deliveries is read by it alone: `sosa timeline`).

Every service may describe every topic of the deployment (it checks at start that they exist).
Groups and transactional ids are matched by prefix: a second instance, a partition's own
transactional id (<prefix>-<topic>-<partition>) and the test stacks' names all fall under them.
Kafka implies DESCRIBE from READ and WRITE, so neither is granted separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from sosa.contracts import topics
from sosa.infra.dead_letter_replay import replay_group

REPLAYED_BY_INTAKE = (topics.REQUESTS, topics.PARTIES)
"""The topics whose dead letters intake's operator-only API replays: those intake writes."""


class ResourceType(IntEnum):
    """Kafka's resource types (the CreateAcls wire values)."""

    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class PatternType(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


@dataclass(frozen=True, slots=True)
class AclBinding:
    """One ALLOW rule: `principal` may `operation` on the resource(s) named (or prefixed) so."""

    principal: str
    operation: Operation
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType = PatternType.LITERAL


@dataclass(frozen=True, slots=True)
class Principals:
    """The Kafka user names of the services and of the operators' tool."""

    intake: str = "sosa-intake"
    router: str = "sosa-router"
    notifier: str = "sosa-notifier"
    operator: str = "sosa-operator"


@dataclass(frozen=True, slots=True)
class BusLayout:
    """What the ACLs of a deployment name: its topic prefix, groups and transactional ids."""

    topic_prefix: str
    intake_read_model_group: str
    router_group: str
    router_transactional_id: str
    notifier_group: str
    notifier_parties_group: str
    principals: Principals = Principals()

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


def _user(name: str) -> str:
    return f"User:{name}"


def bindings(layout: BusLayout) -> list[AclBinding]:
    """Every ACL of the deployment `layout` describes, least privilege."""
    p = layout.principals
    t = layout.topic
    dlq = topics.dead_letter
    writes = {
        p.intake: [topics.REQUESTS, topics.PARTIES, dlq(topics.OUTCOMES), topics.AUDIT_CHECKPOINTS],
        p.router: [topics.OUTCOMES, dlq(topics.REQUESTS), topics.REQUESTS],
        p.notifier: [topics.DELIVERIES, dlq(topics.OUTCOMES), dlq(topics.PARTIES)],
    }
    reads = {
        p.intake: [
            topics.OUTCOMES,
            topics.AUDIT_CHECKPOINTS,
            dlq(topics.REQUESTS),
            dlq(topics.OUTCOMES),
            dlq(topics.PARTIES),
        ],
        p.router: [topics.REQUESTS],
        p.notifier: [topics.OUTCOMES, topics.PARTIES],
    }
    groups = {
        p.intake: [layout.intake_read_model_group],
        p.router: [layout.router_group],
        p.notifier: [layout.notifier_group, layout.notifier_parties_group],
    }
    found: list[AclBinding] = []
    every_topic = t("sosa.")
    for service in (p.intake, p.router, p.notifier):
        user = _user(service)
        found.append(
            AclBinding(
                user, Operation.DESCRIBE, ResourceType.TOPIC, every_topic, PatternType.PREFIXED
            )
        )
        found += [
            AclBinding(user, Operation.WRITE, ResourceType.TOPIC, t(n)) for n in writes[service]
        ]
        found += [
            AclBinding(user, Operation.READ, ResourceType.TOPIC, t(n)) for n in reads[service]
        ]
        found += [
            AclBinding(user, Operation.READ, ResourceType.GROUP, group, PatternType.PREFIXED)
            for group in groups[service]
        ]
    # the router's transactions: one transactional id per input partition, by prefix
    found.append(
        AclBinding(
            _user(p.router),
            Operation.WRITE,
            ResourceType.TRANSACTIONAL_ID,
            layout.router_transactional_id,
            PatternType.PREFIXED,
        )
    )
    # intake's operator-only replay (`sosa.infra.dead_letter_replay`) of the dead letters of
    # the topics it writes: it reads their .dlq topics already; it joins their replay groups
    found += [
        AclBinding(_user(p.intake), Operation.READ, ResourceType.GROUP, replay_group(t(dlq(n))))
        for n in REPLAYED_BY_INTAKE
    ]
    # intake's pipeline panel reads the committed offsets of the router's and notifier's groups
    found += [
        AclBinding(_user(p.intake), Operation.DESCRIBE, ResourceType.GROUP, group)
        for group in (layout.router_group, layout.notifier_group)
    ]
    # the operators' tool reads every topic (tail, timeline, dlq list), with no consumer group
    found.append(
        AclBinding(
            _user(p.operator), Operation.READ, ResourceType.TOPIC, every_topic, PatternType.PREFIXED
        )
    )
    return found
