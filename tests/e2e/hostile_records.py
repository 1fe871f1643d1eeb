"""Hostile Kafka records, one row each, and what every consumer of their topic must do with them
(issue #22). tests/e2e/test_hostile_records.py produces them straight to the broker.

A row names the record (`Rec`: key, value and headers, as anyone with access to the broker could
write them) and, for every consumer group that reads its topic, a disposition:

- `DEAD_LETTER`: the consumer cannot read or apply the record. It sends the record, unchanged, to
  `<topic>.dlq` with `sosa_original_topic`, `sosa_original_partition`, `sosa_original_offset`,
  `sosa_error` ("Class: message"), `sosa_error_class` and `sosa_consumer`, commits past it and
  goes on. Whatever a consumer cannot apply is a dead letter: nothing is passed over unrecorded,
  and an operator can replay it once the cause is fixed.
- `APPLIED`: a schema-valid record the consumer applies like any other. The notifier keeps no
  registry of requests (it tells the parties an outcome names, whatever the request); the party
  copy upserts a party's whole record, so a party it never heard of is created.

Decisions this table takes (docstring of test_hostile_records.py for the rest):

- an event or command type a consumer does not know is a dead letter on every topic: a newer
  writer's (replayed once its readers know it) or a forgery. Readers of a new type must then be
  deployed before its writers, as the router is for commands (docs/events.md, "Versioning", still
  has a `.v2` carried beside `.v1` until every reader knows it: each older reader would
  dead-letter every such copy);
- a command for a request the router never saw is a dead letter (`UnknownRequestError`), not a
  refusal outcome: there is no request whose history a refusal would belong to;
- intake writes a request's view before its command can be published, so an outcome for a
  request intake does not know is no outcome of a request it accepted: a dead letter for intake
  (before #22 it landed in the timeline and the audit log of a request nobody can see);
- an outcome or posture change of a known type with invalid data is unreadable for every reader
  of the topic, intake included, which passes valid posture changes over;
- CloudEvents binary mode maps each attribute to one header, and sosa writes only
  `application/json`: a record with two differing `ce_type` headers, or another content type, is
  unreadable even when one reading of it would parse;
- a command or outcome whose id in its data is not its `ce_id` (or whose request is not its
  `ce_subject`) is unreadable: de-duplication goes by the header, the history by the data;
- a tombstone (null value) on the compacted party topic deletes nothing: intake disables parties,
  it never deletes them, so the party copy cannot apply one (dead letter).

Readers that never dead-letter (intake's pipeline watch and `sosa dlq` over the `.dlq` topics)
and topics no service reads (`sosa.deliveries.v1`, read only by the operators' `sosa timeline`,
which shows a record it cannot read as such, and `sosa.audit-checkpoints.v1`, read only by
`python -m sosa.intake.audit verify`, which calls a record there that is no checkpoint BROKEN)
get rows with no consumer: nothing may stop, and nothing is dead-lettered for them.

A new payload is one more line in `CASES`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel

from sosa.contracts import commands, envelope, outcomes, posture, topics
from sosa.contracts.outcomes import DecisionRecord, Parties
from sosa.contracts.parties import PARTY, CredentialRecord, PartyRecord, Role
from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState, RoutePath
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

Header = tuple[str, bytes | None]


class Disposition(StrEnum):
    DEAD_LETTER = "dead letter"
    APPLIED = "applied"


DEAD_LETTER: Final = Disposition.DEAD_LETTER
APPLIED: Final = Disposition.APPLIED


@dataclass(frozen=True, slots=True)
class Consumer:
    """One consumer group of the stack: the topic it reads, how its dead letters name it
    (`sosa_consumer`) and the environment variable that names its group."""

    label: str
    topic: str
    name: str
    group_setting: str

    @property
    def dead_letter_topic(self) -> str:
        return topics.dead_letter(self.topic)


ROUTER: Final = Consumer("router", topics.REQUESTS, "router", "SOSA_ROUTER_GROUP")
INTAKE: Final = Consumer("intake", topics.OUTCOMES, "intake", "SOSA_INTAKE_READ_MODEL_GROUP")
NOTIFIER: Final = Consumer("notifier", topics.OUTCOMES, "notifier", "SOSA_NOTIFIER_GROUP")
PARTY_COPY: Final = Consumer(
    "party-copy", topics.PARTIES, "notifier", "SOSA_NOTIFIER_PARTIES_GROUP"
)
CONSUMERS: Final = (ROUTER, INTAKE, NOTIFIER, PARTY_COPY)

READERS: Final[dict[str, tuple[Consumer, ...]]] = {
    topics.REQUESTS: (ROUTER,),
    topics.OUTCOMES: (INTAKE, NOTIFIER),
    topics.PARTIES: (PARTY_COPY,),
    # read without a group and never dead-lettered: intake's pipeline watch, `sosa dlq`
    topics.dead_letter(topics.REQUESTS): (),
    topics.dead_letter(topics.OUTCOMES): (),
    topics.dead_letter(topics.PARTIES): (),
    # no service reads them (operators' tools do)
    topics.DELIVERIES: (),
    topics.AUDIT_CHECKPOINTS: (),
}
"""Every topic the suite writes to, with the consumer groups that read it."""


# --- records ---------------------------------------------------------------------------------


def _set(document: Any, path: str, value: Any) -> None:
    """Set `value` at a dotted `path` (`details.items.0.quantity`) inside parsed JSON."""
    *parents, last = path.split(".")
    for part in parents:
        document = document[int(part)] if isinstance(document, list) else document[part]
    if isinstance(document, list):
        document[int(last)] = value
    else:
        document[last] = value


def _raw(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Rec:
    """A record as written to Kafka; each method returns a changed copy."""

    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...]

    def header(self, name: str, value: bytes | str | None) -> Rec:
        """Header `name` set to `value` where it stands (added at the end when absent)."""
        if all(n != name for n, _ in self.headers):
            return self.also(name, value)
        return replace(
            self, headers=tuple((n, _raw(value) if n == name else v) for n, v in self.headers)
        )

    def also(self, name: str, value: bytes | str | None) -> Rec:
        """One more header `name` after the others (a repeated header if it is there)."""
        return replace(self, headers=(*self.headers, (name, _raw(value))))

    def without(self, *names: str) -> Rec:
        return replace(self, headers=tuple((n, v) for n, v in self.headers if n not in names))

    def bare(self) -> Rec:
        """No headers at all."""
        return replace(self, headers=())

    def nulled(self) -> Rec:
        """Every header kept by name, each with a null value."""
        return replace(self, headers=tuple((n, None) for n, _ in self.headers))

    def keyed(self, key: bytes | str | None) -> Rec:
        return replace(self, key=_raw(key))

    def data(self, value: bytes | None) -> Rec:
        return replace(self, value=value)

    def patch(self, changes: Mapping[str, Any]) -> Rec:
        """The JSON value with each dotted path set (the rest of the message unchanged)."""
        document = json.loads(self.value or b"null")
        for path, value in changes.items():
            _set(document, path, value)
        return replace(self, value=json.dumps(document).encode())


def _wrapped(payload: BaseModel, *, event_id: str, event_type: str, subject: str) -> Rec:
    key, value, headers = envelope.to_kafka(
        envelope.wrap(
            payload,
            event_id=event_id,
            event_type=event_type,
            source="/tests/hostile",
            subject=subject,
            time=datetime.now(UTC),
        )
    )
    return Rec(key, value, tuple(headers))


def _new_id() -> str:
    return str(uuid.uuid4())


REQUESTER: Final = "hostile-requester"
SUPPLIER: Final = "hostile-supplier"
"""The parties hostile records name: none of the normal request's parties."""

DETAILS: Final[dict[str, Any]] = {
    **DPAS_REQUEST,
    "requester": {**DPAS_REQUEST["requester"], "party_id": REQUESTER},
    "supplier": {"party_id": SUPPLIER, "name": "Hostile Supplies Inc.", "country": "US"},
    "contract_number": "N00024-26-C-0666",
}


def _command(command: commands.Command) -> Rec:
    event_type: str = getattr(command, "type")  # noqa: B009 - each command kind has its type
    return _wrapped(
        command, event_id=command.command_id, event_type=event_type, subject=command.request_id
    )


def submit() -> Rec:
    """A valid submit of a new request: the router would route it (sent only mutated)."""
    return _command(
        commands.SubmitRequest(
            command_id=_new_id(),
            request_id=_new_id(),
            received_at=datetime.now(UTC),
            details=PriorityRequestDetails.model_validate(DETAILS),
        )
    )


def respond() -> Rec:
    """A valid answer to a request the router never saw."""
    return _command(
        commands.RespondToRequest(
            command_id=_new_id(),
            request_id=_new_id(),
            received_at=datetime.now(UTC),
            response=commands.SupplierResponseDetails(supplier_party_id=SUPPLIER, kind="accept"),
        )
    )


def tick() -> Rec:
    """A valid clock tick of a request the router never saw."""
    now = datetime.now(UTC)
    return _command(
        commands.ClockTick(
            command_id=_new_id(),
            request_id=_new_id(),
            received_at=now,
            timer="reminder",
            due_at=now,
        )
    )


def set_posture() -> Rec:
    """A valid posture command (global peacetime): sent only mutated into an invalid one."""
    return _command(
        commands.SetPosture(
            command_id=_new_id(),
            request_id=posture.subject(posture.GLOBAL),
            received_at=datetime.now(UTC),
            scope=posture.GLOBAL,
            posture="peacetime",
            reason="hostile",
            set_by="hostile-operator",
        )
    )


def _event(event: outcomes.OutcomeEvent) -> Rec:
    return _wrapped(
        event, event_id=event.event_id, event_type=outcomes.type_of(event), subject=event.request_id
    )


def _common(sequence: int, requester: str = REQUESTER) -> dict[str, Any]:
    """The fields every outcome of a request nobody submitted has."""
    now = datetime.now(UTC)
    return {
        "event_id": _new_id(),
        "request_id": _new_id(),
        "sequence": sequence,
        "path": RoutePath.DPAS,
        "decision": DecisionRecord(
            outcome="dpas_rated_order",
            rating="DO-A3",
            clock="working_days",
            clock_started_at=now,
            deadline=now,
            ruleset_version="hostile",
        ),
        "parties": Parties(requester=requester, supplier=SUPPLIER),
        "caused_by": _new_id(),
        "occurred_at": now,
    }


def outcome(*, requester: str = REQUESTER) -> Rec:
    """A valid `routed` outcome of a request nobody submitted."""
    return _event(
        outcomes.RequestTransitioned(
            **_common(1, requester),
            state=RequestState.ROUTED,
            previous_state=RequestState.RECEIVED,
        )
    )


def reminder() -> Rec:
    """A valid reminder of a request nobody submitted."""
    return _event(
        outcomes.ResponseReminded(**_common(2), state=RequestState.ROUTED, due_at=datetime.now(UTC))
    )


def escalation(*, facts: dict[str, Any]) -> Rec:
    """A valid escalation of a request nobody submitted."""
    return _event(
        outcomes.Escalated(
            **_common(3),
            state=RequestState.OVERDUE,
            escalated_to="requester",
            suggestion="hostile",
            facts=facts,
        )
    )


def posture_changed() -> Rec:
    """A valid posture change (global, peacetime to peacetime): sent only mutated."""
    now = datetime.now(UTC)
    event = posture.PostureChanged(
        event_id=_new_id(),
        scope=posture.GLOBAL,
        posture="peacetime",
        previous="peacetime",
        reason="hostile",
        set_by="hostile-operator",
        effective_at=now,
        settings={},
        replanned=0,
        caused_by=_new_id(),
        occurred_at=now,
    )
    return _wrapped(event, event_id=event.event_id, event_type=event.type, subject=event.scope)


def party(*, party_id: str | None = None, key_hash: str = "hmac-sha256:" + "0" * 64) -> Rec:
    """A valid record of a party intake never created, with one credential."""
    party_id, now = party_id or f"hostile-party-{uuid.uuid4().hex[:8]}", datetime.now(UTC)
    record = PartyRecord(
        party_id=party_id,
        name="Hostile party",
        roles=[Role.REQUESTER],
        credentials=[
            CredentialRecord(key_id=uuid.uuid4().hex[:16], key_hash=key_hash, created_at=now)
        ],
        updated_at=now,
    )
    return _wrapped(record, event_id=_new_id(), event_type=PARTY, subject=party_id)


def garbage(key: bytes | None = b"garbage") -> Rec:
    return Rec(key, b"\xff\xfe not a record \x00", ())


PROVENANCE: Final = (
    "sosa_original_topic",
    "sosa_original_partition",
    "sosa_original_offset",
    "sosa_error",
    "sosa_error_class",
    "sosa_consumer",
)


def with_provenance(record: Rec, value: bytes | str | None) -> Rec:
    """`record` as a dead letter would carry it, every provenance header set to `value`."""
    for name in PROVENANCE:
        record = record.also(name, value)
    return record


HUGE: Final = "x" * 100_000
"""A huge string (100 KB) where the contract sets no length."""
NEAR_LIMIT: Final = "x" * 900_000
"""A ~900 KB string: the broker takes records up to 1 MB."""
LONG: Final = "i" * 200
"""An id that a header may carry (up to 256 characters) but no id column holds (64)."""
REQ_LONG: Final = {"request_id": LONG}
NON_UTF8: Final = b"\xff\xfe\xfa"
YEAR_1: Final = "0001-01-01T00:00:00+14:00"
YEAR_9999: Final = "9999-12-31T23:59:59-14:00"
NO_OFFSET: Final = "2027-01-01T00:00:00"
DEEP_JSON: Final = b"[" * 100_000 + b"]" * 100_000
XML: Final = b"<outcome><state>routed</state></outcome>"
CT: Final = "content-type"


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile record: where it goes and what each consumer of that topic must do."""

    name: str
    topic: str
    record: Rec
    expect: Mapping[Consumer, Disposition] = field(default_factory=dict)


def cmd(name: str, record: Rec, router: Disposition = DEAD_LETTER) -> Case:
    """A record on `sosa.requests.v1`."""
    return Case(f"requests/{name}", topics.REQUESTS, record, {ROUTER: router})


def out(
    name: str, record: Rec, intake: Disposition = DEAD_LETTER, notifier: Disposition = DEAD_LETTER
) -> Case:
    """A record on `sosa.outcomes.v1`."""
    return Case(f"outcomes/{name}", topics.OUTCOMES, record, {INTAKE: intake, NOTIFIER: notifier})


def pty(name: str, record: Rec, party_copy: Disposition = DEAD_LETTER) -> Case:
    """A record on `sosa.parties.v1` (compacted: the broker refuses one without a key)."""
    return Case(f"parties/{name}", topics.PARTIES, record, {PARTY_COPY: party_copy})


def unread(name: str, topic: str, record: Rec) -> Case:
    """A record on a topic that no consumer group reads."""
    return Case(f"{topic.removeprefix('sosa.')}/{name}", topic, record, {})


REQUESTS_DLQ: Final = topics.dead_letter(topics.REQUESTS)
OUTCOMES_DLQ: Final = topics.dead_letter(topics.OUTCOMES)
PARTIES_DLQ: Final = topics.dead_letter(topics.PARTIES)

CASES: Final[list[Case]] = [
    # --- sosa.requests.v1: the router ---
    cmd("null-ce_type", submit().header("ce_type", None)),
    cmd("null-ce_id", submit().header("ce_id", None)),
    cmd("null-ce_time", submit().header("ce_time", None)),
    cmd("every-header-null", submit().nulled()),
    cmd("no-headers", submit().bare()),
    cmd("no-ce_type", submit().without("ce_type")),
    cmd("no-ce_subject", submit().without("ce_subject")),
    cmd("ce_type-twice-differing", submit().also("ce_type", commands.CANCEL)),
    cmd("content-type-xml", submit().header(CT, "application/xml").data(XML)),
    cmd("content-type-text-on-a-valid-submit", submit().header(CT, "text/plain")),
    cmd("non-utf8-ce_type", submit().header("ce_type", NON_UTF8)),
    cmd("non-utf8-ce_time", submit().header("ce_time", NON_UTF8)),
    cmd("non-utf8-value", submit().data(NON_UTF8)),
    cmd("non-utf8-in-a-json-string", submit().data(b'{"command_id": "\xff\xfe"}')),
    cmd("bad-json", submit().data(b'{"command_id": ')),
    cmd("empty-value", submit().data(b"")),
    cmd("null-value", submit().data(None)),
    cmd("json-null", submit().data(b"null")),
    cmd("json-array", submit().data(b"[1, 2, 3]")),
    cmd("json-nested-100k-deep", submit().data(DEEP_JSON)),
    cmd("an-outcome-as-a-submit", submit().data(outcome().value)),
    cmd("garbage-without-key", garbage(key=None)),
    cmd("unknown-command-type", submit().header("ce_type", "sosa.command.teleport.v1")),
    cmd("respond-to-an-unknown-request", respond()),
    cmd("tick-of-an-unknown-request", tick()),
    cmd("received_at-year-1", submit().patch({"received_at": YEAR_1})),
    cmd("received_at-year-9999", submit().patch({"received_at": YEAR_9999})),
    cmd("received_at-without-offset", submit().patch({"received_at": NO_OFFSET})),
    cmd("due_at-year-9999", tick().patch({"due_at": YEAR_9999})),
    cmd("negative-quantity", submit().patch({"details.items.0.quantity": "-40"})),
    cmd("quantity-1e400", submit().patch({"details.items.0.quantity": "1e400"})),
    cmd("command_id-not-its-ce_id", submit().patch({"command_id": _new_id()})),
    cmd("200-char-command-id", submit().header("ce_id", LONG).patch({"command_id": LONG})),
    cmd("200-char-request-id", submit().keyed(LONG).header("ce_subject", LONG).patch(REQ_LONG)),
    cmd("huge-command_id", submit().patch({"command_id": HUGE})),
    cmd("huge-request_id", submit().patch({"request_id": HUGE})),
    cmd("900KB-description", submit().patch({"details.items.0.description": NEAR_LIMIT})),
    cmd("set-posture-of-no-scope", set_posture().patch({"scope": "Mars"})),
    cmd("set-posture-unknown-posture", set_posture().patch({"posture": "apocalypse"})),
    # --- sosa.outcomes.v1: intake's read model and the notifier ---
    out("null-ce_type", outcome().header("ce_type", None)),
    out("null-ce_time", outcome().header("ce_time", None)),
    out("null-ce_subject", outcome().header("ce_subject", None)),
    out("every-header-null", outcome().nulled()),
    out("no-headers", outcome().bare()),
    out("no-ce_id", outcome().without("ce_id")),
    out("ce_type-twice-differing", outcome().also("ce_type", outcomes.REFUSED)),
    out("content-type-xml", outcome().header(CT, "application/xml").data(XML)),
    out("content-type-text-on-a-valid-outcome", outcome().header(CT, "text/plain")),
    out("non-utf8-ce_subject", outcome().header("ce_subject", NON_UTF8)),
    out("non-utf8-value", outcome().data(NON_UTF8)),
    out("bad-json", outcome().data(b'{"event_id": "x", ')),
    out("null-value", outcome().data(None)),
    out("json-array", outcome().data(b"[]")),
    out("json-nested-100k-deep", outcome().data(DEEP_JSON)),
    out("a-command-as-an-outcome", outcome().data(respond().value)),
    out("garbage", garbage()),
    out("forged-dead-letter-headers", with_provenance(outcome().data(b"{}"), "forged")),
    out("unknown-event-type", outcome().header("ce_type", "sosa.outcome.teleported.v1")),
    out("occurred_at-year-1-plus-14h", outcome().patch({"occurred_at": YEAR_1})),
    out("occurred_at-year-9999", outcome().patch({"occurred_at": YEAR_9999})),
    out("occurred_at-without-offset", outcome().patch({"occurred_at": NO_OFFSET})),
    out("deadline-year-9999", outcome().patch({"decision.deadline": YEAR_9999})),
    out("reminder-due_at-year-1", reminder().patch({"due_at": YEAR_1})),
    out("negative-sequence", outcome().patch({"sequence": -1})),
    out("unknown-state", outcome().patch({"state": "teleported"})),
    out("sequence-2^63", outcome().patch({"sequence": 2**63}), DEAD_LETTER, APPLIED),
    out("event_id-not-its-ce_id", outcome().patch({"event_id": _new_id()})),
    out("200-char-event-id", outcome().header("ce_id", LONG).patch({"event_id": LONG})),
    out("huge-event_id", outcome().patch({"event_id": HUGE})),
    out("huge-requester", outcome(requester="r" * 1000)),
    out("nul-char-in-requester", outcome(requester="hostile\x00requester")),
    out("outcome-of-an-unknown-request", outcome(), DEAD_LETTER, APPLIED),
    out("900KB-escalation-facts", escalation(facts={"blob": NEAR_LIMIT}), DEAD_LETTER, APPLIED),
    out("posture-of-no-scope", posture_changed().patch({"scope": "Mars"})),
    out("posture-negative-replanned", posture_changed().patch({"replanned": -1})),
    out("posture-effective-year-1", posture_changed().patch({"effective_at": YEAR_1})),
    out("posture-wrong-schema", posture_changed().data(b'{"scope": ["global"]}')),
    # --- sosa.parties.v1 (compacted, every record keyed): the notifier's party copy ---
    pty("null-ce_type", party().header("ce_type", None)),
    pty("no-headers", party().bare()),
    pty("non-utf8-value", party().data(NON_UTF8)),
    pty("bad-json", party().data(b'{"party_id": ')),
    pty("tombstone", party().bare().data(None)),
    pty("an-outcome-as-a-party", party().data(outcome().value)),
    pty("updated_at-year-1", party().patch({"updated_at": YEAR_1})),
    pty("unknown-role", party().patch({"roles": ["emperor"]})),
    pty("unknown-type", party().header("ce_type", "sosa.party.v2")),
    pty("200-char-party-id", party(party_id="p" * 200)),
    pty("900KB-key-hash", party(key_hash=NEAR_LIMIT)),
    pty("a-party-intake-never-made", party(), APPLIED),
    # --- the dead-letter topics: read by intake's pipeline watch and `sosa dlq` only ---
    unread("null-provenance", REQUESTS_DLQ, with_provenance(submit(), None)),
    unread("non-utf8-provenance", REQUESTS_DLQ, with_provenance(garbage(), NON_UTF8)),
    unread("provenance-of-no-record", OUTCOMES_DLQ, with_provenance(outcome(), "-1")),
    unread("no-headers", OUTCOMES_DLQ, garbage(key=None)),
    unread("no-key-empty-value", PARTIES_DLQ, party().keyed(None).data(b"")),
    unread("huge-error", OUTCOMES_DLQ, outcome().also("sosa_error", HUGE).also("ce_type", HUGE)),
    # --- topics no service reads ---
    unread("garbage", topics.DELIVERIES, garbage()),
    unread("garbage", topics.AUDIT_CHECKPOINTS, garbage()),
]
