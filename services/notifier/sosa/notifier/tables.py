"""Notifier's own tables.

Subscriptions (webhook endpoints with their rotated-out secrets, e-mail recipients), one delivery
per (message, channel) with its schedule, every attempt, each party's live-stream log, and the
outbox that carries each attempt's result to `sosa.deliveries.v1`; and the copy of parties and
their API-key hashes that authentication checks keys against.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sosa.infra.columns import UtcDateTime
from sosa.infra.outbox import outbox_table

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("party_id", String(128), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("event_types", JSON, nullable=True),
    Column("description", String(500), nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # "all": every matching message; "fallback": only what escalation sends (section 4 of the docs)
    Column("mode", String(10), nullable=False, server_default="all"),
    Column("max_in_flight", Integer, nullable=True),
    Column("disabled_reason", String(40), nullable=True),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("failure_streak", Integer, nullable=False, server_default="0"),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("deleted_at", UtcDateTime(), nullable=True),
)

endpoint_secrets = Table(
    "endpoint_secrets",
    metadata,
    Column(
        "secret_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column(
        "endpoint_id", String(64), ForeignKey("endpoints.endpoint_id"), nullable=False, index=True
    ),
    Column("secret", String(200), nullable=False),
    Column("retired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

email_recipients = Table(
    "email_recipients",
    metadata,
    Column("recipient_id", String(64), primary_key=True),
    Column("party_id", String(128), nullable=False, index=True),
    Column("address", String(320), nullable=False),
    Column("event_types", JSON, nullable=True),
    Column("description", String(500), nullable=True),
    Column("mode", String(10), nullable=False, server_default="all"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime(), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("endpoint_id", String(64), ForeignKey("endpoints.endpoint_id"), nullable=True),
    Column("request_id", String(64), nullable=True, index=True),
    Column("party_id", String(128), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=True, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("channel", String(10), nullable=False, server_default="webhook"),
    Column("recipient_id", String(64), ForeignKey("email_recipients.recipient_id"), nullable=True),
    Column("role", String(20), nullable=True),
    Column("fields", JSON, nullable=True),
    Column("deadline", UtcDateTime(), nullable=True),
    Column("escalate_at", UtcDateTime(), nullable=True, index=True),
    Column("escalated_at", UtcDateTime(), nullable=True),
    Column("escalated_from", String(64), nullable=True),
    Column("last_error", String(500), nullable=True),
    # the W3C traceparent of the outcome: each attempt's span continues its trace
    Column("traceparent", String(64), nullable=True),
    # the request's SOSA partner, if any: its own posture sets the retries (sosa.notifier.postures)
    Column("partner_country", String(2), nullable=True),
    UniqueConstraint("event_id", "endpoint_id"),
    # the claim's order: a channel's due deliveries read oldest first from the index and the
    # scan stopped at the claim's size, not every pending row sorted (a backlog's size)
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

attempts = Table(
    "attempts",
    metadata,
    Column(
        "attempt_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column(
        "delivery_id", String(64), ForeignKey("deliveries.delivery_id"), nullable=False, index=True
    ),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("error", String(500), nullable=True),
    Column("response_excerpt", String(500), nullable=True),
    Column("attempt_number", Integer, nullable=False, server_default="0"),
    Column("target", String(2000), nullable=True),
)

stream_events = Table(
    "stream_events",
    metadata,
    Column("party_id", String(128), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("event_type", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("party_id", "event_id"),
)

stream_cursors = Table(
    "stream_cursors",
    metadata,
    Column("party_id", String(128), primary_key=True),
    # every writer for one party bumps this row, so a party's stream commits in `seq` order
    Column("last_seq", BigInteger, nullable=False),
)

# a copy of each party's roles and API-key hashes, from sosa.parties.v1 (intake owns them)
parties = Table(
    "parties",
    metadata,
    Column("party_id", String(128), primary_key=True),
    Column("roles", JSON, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("party_id", String(128), nullable=False, index=True),
    Column("key_hash", String(100), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

outbox = outbox_table(metadata)

# the postures in force, from `sosa.posture.changed.v1` (sosa.notifier.postures)
postures = Table(
    "postures",
    metadata,
    Column("scope", String(8), primary_key=True),  # `global` or a partner's country code
    Column("posture", String(20), nullable=False),
    Column("retry_interval_factor", Float, nullable=False),
    Column("second_channel_factor", Float, nullable=False),
    Column("effective_at", UtcDateTime(), nullable=False),
)
