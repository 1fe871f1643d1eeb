"""Intake's own tables: accepted commands, their outbox, and the read model built from outcomes."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, MetaData, String, Table, UniqueConstraint

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
    Column("received_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # the list's keyset order, and the work order's lookup of one supplier's orders
    Index("ix_request_views_received_at_request_id", "received_at", "request_id"),
    Index("ix_request_views_supplier_state", "supplier", "state"),
)

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
