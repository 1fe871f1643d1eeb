"""Intake's own tables: accepted commands, their outbox, and the read model built from outcomes."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, UniqueConstraint

from sosa.infra.columns import UtcDateTime
from sosa.infra.outbox import outbox_table

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
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

request_views = Table(
    "request_views",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("state", String(40), nullable=False),
    Column("path", String(40), nullable=True),
    Column("requester", String(128), nullable=False),
    Column("supplier", String(128), nullable=False),
    Column("rating", String(16), nullable=True),
    Column("details", JSON, nullable=False),
    Column("decision", JSON, nullable=True),
    Column("last_sequence", Integer, nullable=False, default=0),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

request_timeline = Table(
    "request_timeline",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("state", String(40), nullable=False),
    Column("previous_state", String(40), nullable=True),
    Column("decision", JSON, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    UniqueConstraint("request_id", "sequence"),
)
