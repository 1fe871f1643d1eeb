"""Notifier's own tables: endpoints per party, one delivery per (event, endpoint), attempts."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sosa.infra.columns import UtcDateTime

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
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("endpoint_id", String(64), ForeignKey("endpoints.endpoint_id"), nullable=False),
    Column("request_id", String(64), nullable=False, index=True),
    Column("party_id", String(128), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=True, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    UniqueConstraint("event_id", "endpoint_id"),
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
)
