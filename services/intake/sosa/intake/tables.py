"""Intake's own tables: accepted commands, their outbox, the read model built from outcomes,
parties and their API keys, who may see each request, and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from sosa.infra.columns import UtcDateTime
from sosa.infra.outbox import outbox_table
from sosa.intake.views.rollup_keys import COUNTS as ROLLUP_COUNTS
from sosa.intake.views.rollup_keys import PAIR_COUNTS, SUMMARY_COUNTS

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    }
)

commands = Table(
    "commands",
    metadata,
    Column("command_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("command_type", String(100), nullable=False),
    Column("body", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)

FIGURE_COLUMNS = [
    "request_id", "state", "path", "requester", "supplier", "rating", "deadline",
    "partner_country", "first_answer", "answer_hours", "went_late", "ever_accepted",
]  # fmt: skip
"""What the figures and the dashboard read of every view (`ix_request_views_figures`)."""

request_views = Table(
    "request_views",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("state", String(40), nullable=False, index=True),
    Column("path", String(40), nullable=True),
    Column("requester", String(128), nullable=False, index=True),
    Column("supplier", String(128), nullable=False),
    # the rating in force, normalised (DO-A3), and its level (DO, DX) for the level filter
    Column("rating", String(16), nullable=True, index=True),
    Column("rating_level", String(2), nullable=True, index=True),
    Column("details", JSON, nullable=False),
    Column("decision", JSON, nullable=True),
    Column("deadline", UtcDateTime(), nullable=True, index=True),
    # 15 CFR 700.14: the earliest required delivery date, and when the order got its rating
    Column("required_delivery_date", Date, nullable=True),
    Column("rated_at", UtcDateTime(), nullable=True),
    Column("last_sequence", Integer, nullable=False, default=0),
    # the authority whose decision the request awaits now (from the outcomes' `parties`)
    Column("pending_authority", String(128), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # --- what the resilience figures read of the request's history (sosa.intake.figure_queries),
    # kept by the read model as outcomes arrive (sosa.intake.views.changes): the partner country
    # of the decision in force (null until the first decision: a US order), the state the
    # supplier's first answer led to, the hours from the clock it stopped to it, whether the
    # request ever missed its deadline and whether its supplier ever accepted it
    Column("partner_country", String(8), nullable=True),
    Column("first_answer", String(40), nullable=True),
    Column("answered_at", UtcDateTime(), nullable=True),
    Column("answer_hours", Float, nullable=True),
    Column("went_late", Boolean, nullable=False, server_default=false()),
    Column("ever_accepted", Boolean, nullable=False, server_default=false()),
    # the list's keyset order, and the work order's lookup of one supplier's orders (a page of
    # the work order reads `ix_request_views_work_order`, an index on expressions that migration
    # 0010 makes: sosa.intake.views.work_order)
    Index("ix_request_views_received_at_request_id", "received_at", "request_id"),
    Index("ix_request_views_supplier_state", "supplier", "state"),
    # the dashboard's per-requester table and the median answer time per path
    Index("ix_request_views_requester_state", "requester", "state"),
    Index("ix_request_views_path_answer_hours", "path", "answer_hours"),
    # what the figures and the dashboard read of every view: on PostgreSQL a covering index that
    # they scan (index-only) instead of the wide rows with their JSON
    Index(
        "ix_request_views_figures",
        "received_at",
        postgresql_include=FIGURE_COLUMNS,
    ),
)

request_items = Table(
    "request_items",
    metadata,
    # each distinct item a request names, as the figures group items (resilience_figures.item_key)
    Column("request_id", String(64), primary_key=True),
    Column("item_key", Text, primary_key=True),
    Index("ix_request_items_item_key", "item_key"),
)

answer_offers = Table(
    "answer_offers",
    metadata,
    # each supplier's answer that offered a date: offered minus the earliest date required
    Column("event_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("delay_days", Integer, nullable=False),
)


def _figure_counts(name: str, *by_day: Column[Any]) -> Table:
    """The counts the roll-ups keep per scope, dimension and key (`sosa.intake.views.rollups`)."""
    return Table(
        name,
        metadata,
        # `*`: every request (what operators see); else a party id: the requests it may see
        Column("scope", String(128), primary_key=True),
        # state, path, partner_country, supplier, requester, rating, program (`rollup_keys`)
        Column("dimension", String(20), primary_key=True),
        # before the key: a period reads one range of days of a scope's dimension
        *by_day,
        Column("key", String(128), primary_key=True),
        # the supplier within a program (dimension `program`); empty in the other dimensions
        Column("subkey", String(128), primary_key=True, server_default=""),
        *(
            Column(name, BigInteger, nullable=False, server_default="0")
            for name in ROLLUP_COUNTS  # what `rollup_keys.tally` counts
        ),
    )


figure_counts = _figure_counts("figure_counts")
"""The roll-ups over all time: what the dashboard and the figures without a period read."""
figure_counts_daily = _figure_counts(
    "figure_counts_daily",
    # the UTC day the requests were received: a period's whole days are read here
    Column("day", Date, primary_key=True),
)
"""The same roll-ups per day of receipt."""


def _figure_histogram(name: str, *by_day: Column[Any]) -> Table:
    """Buckets of values per scope, figure and key (`sosa.intake.views.histogram_keys`): the
    medians of the answer times and counter-offer delays are read from these."""
    return Table(
        name,
        metadata,
        Column("scope", String(128), primary_key=True),  # as in figure_counts
        # answer_ms (key: the path) or offer_days (key: the supplier, or `*` for all)
        Column("figure", String(20), primary_key=True),
        *by_day,
        Column("key", String(128), primary_key=True),
        # the bucket's bound nearest to zero (`histogram_keys.bucket_of`), in the figure's unit
        Column("bucket", BigInteger, primary_key=True, autoincrement=False),
        Column("n", BigInteger, nullable=False, server_default="0"),  # values in the bucket
        Column("total", BigInteger, nullable=False, server_default="0"),  # and their sum
    )


figure_histograms = _figure_histogram("figure_histograms")
"""The histograms over all time."""
figure_histograms_daily = _figure_histogram(
    "figure_histograms_daily", Column("day", Date, primary_key=True)
)
"""The same histograms per UTC day of receipt."""
figure_pairs = Table(
    "figure_pairs",
    metadata,
    # `*` or a party id, as in `figure_counts`
    Column("scope", String(128), primary_key=True),
    # program or item (`rollup_keys.PAIRED`)
    Column("dimension", String(20), primary_key=True),
    # the program symbol, or the item as the figures group items (up to 500 characters)
    Column("key", Text, primary_key=True),
    Column("supplier", String(128), primary_key=True),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in PAIR_COUNTS),
    # a key's largest shares, read in order for the rows a figure answers
    Index("ix_figure_pairs_largest", "scope", "dimension", "key", "rated"),
)
"""Per scope, program or item, and supplier, over all time: how many requests, how many of them
rated and accepted (`rollup_keys.pair_tally`)."""

figure_summaries = Table(
    "figure_summaries",
    metadata,
    Column("scope", String(128), primary_key=True),
    Column("dimension", String(20), primary_key=True),
    Column("key", Text, primary_key=True),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in SUMMARY_COUNTS),
)
"""Per scope and program or item, over all time, its pairs folded (`rollup_keys.summary_delta`):
the index, the number of suppliers and whether it is a gap come from one row."""

request_timeline = Table(
    "request_timeline",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("state", String(40), nullable=False),
    Column("previous_state", String(40), nullable=True),
    Column("decision", JSON, nullable=False),
    Column("caused_by", String(64), nullable=True),
    Column("command_type", String(100), nullable=True),
    # the fields only this kind of event has (due_at, escalated_to, facts, actor, ...)
    Column("specifics", JSON, nullable=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    UniqueConstraint("request_id", "sequence"),
)

# --- parties and their credentials (intake owns them; published on sosa.parties.v1) ---

parties = Table(
    "parties",
    metadata,
    Column("party_id", String(128), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # what the party is (sosa.contracts.parties.PartyKind...): set by operators, null until then
    Column("kind", String(32), nullable=True),
    Column("country", String(2), nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("code_of_conduct_signatory", Boolean, nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("party_id", String(128), ForeignKey("parties.party_id"), nullable=False, index=True),
    Column("key_hash", String(100), nullable=False),
    Column("label", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# --- who may see a request: one row per (request, party, relation) ---

request_access = Table(
    "request_access",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("party_id", String(128), primary_key=True),
    # requester, supplier, liaison, authority (an authority the request ever awaited)
    Column("relation", String(20), primary_key=True),
    Index("ix_request_access_party_id_relation", "party_id", "relation"),
)

# --- the audit log: append-only, hash-chained (sosa.intake.audit) ---

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("request_id", String(64), nullable=True, index=True),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    # pruning keeps the chain checkable: the seq and hash of the last row removed
    Column("pruned_through_seq", BigInteger, nullable=False),
    Column("pruned_hash", String(64), nullable=False),
)

# --- Idempotency-Key: the first answer to each party's key (sosa.intake.commands.idempotency)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("party_id", String(128), primary_key=True),
    Column("key", String(255), primary_key=True),
    # sha256 of the operation and the validated body: the same key for another request is a 422
    Column("fingerprint", String(64), nullable=False),
    # the answer; null only inside the transaction that claimed the key
    Column("status_code", Integer, nullable=True),
    Column("body", JSON, nullable=True),
    Column("headers", JSON, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)

# --- Postures in force (sosa.intake.api.posture): set here, carried to the router as commands

postures = Table(
    "postures",
    metadata,
    Column("scope", String(8), primary_key=True),  # `global` or a partner's country code
    Column("posture", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", String(128), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("command_id", String(64), nullable=False),
)
