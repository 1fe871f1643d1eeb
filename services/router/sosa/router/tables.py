"""Router's own tables: each request's state, the inbox remembering each input's outputs (the
records' own bytes), the timers of the response clocks, and the postures in force."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from sosa.infra.columns import UtcDateTime

metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s"})

requests = Table(
    "requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("state", String(40), nullable=False),
    Column("path", String(40), nullable=False),
    Column("rating", String(16), nullable=True),
    Column("requester", String(128), nullable=False),
    Column("supplier", String(128), nullable=False),
    Column("deadline", UtcDateTime(), nullable=True),
    Column("sequence", Integer, nullable=False),
    Column("details", JSON, nullable=False),
    Column("facts", JSON, nullable=True),
    Column("last_decision", JSON, nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("records", LargeBinary, nullable=False),  # `sosa.router.outputs.pack`
    Column("processed_at", UtcDateTime(), nullable=False),
)

timers = Table(
    "timers",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("due_at", UtcDateTime(), primary_key=True),
    Column("emitted_at", UtcDateTime(), nullable=True),
    Index("ix_timers_due", "emitted_at", "due_at"),
)

postures = Table(
    "postures",
    metadata,
    Column("scope", String(8), primary_key=True),  # `global` or a partner's country code
    Column("posture", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", String(128), nullable=False),
    Column("effective_at", UtcDateTime(), nullable=False),
    Column("command_id", String(64), nullable=False),
)
