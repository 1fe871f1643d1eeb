"""Async SQLAlchemy engines for PostgreSQL (production, tests) and SQLite (embedded default)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Table, event, literal_column, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.util import await_

UNAVAILABLE: Final = (DBAPIError, PoolTimeoutError, OSError)
"""What a database call raises when the server is down or the connection broke: a refused
connect comes through as a bare OSError (ConnectionRefusedError), not as a DBAPIError."""


OUTAGE_SQLSTATES: Final = frozenset({"57P01", "57P02", "57P03", "53300"})
"""PostgreSQL's answers that say the server, not the statement, is the trouble: admin shutdown,
crash shutdown, cannot connect now (shutting down or starting up), too many connections. Every
code of class 08 (connection exception) is one too."""


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (a refused or lost connection, a
    server shutting down or starting up, no connection free in the pool), rather than that one
    statement was wrong (a constraint, a deadlock): after an outage there is no point in
    retrying the same work at once, and none in blaming the work."""
    if isinstance(exc, OSError | PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(code, str) and (code.startswith("08") or code in OUTAGE_SQLSTATES)


async def answers(session: AsyncSession) -> bool:
    """Whether the database answers a trivial query in `session` now (its transaction, if one is
    open, must still be usable): before blaming a piece of work for a failure, make sure the
    failure was not the database's."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # a broken connection, or a session its failure left unusable
        return False
    return True


def create_engine(
    url: str, *, pool_size: int = 10, sqlite_write_first: bool = False
) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so readers and the relay coexist.

    `sqlite_write_first`: every SQLite transaction takes the write lock when it begins. For a
    service whose transactions all write (the router), this makes a second writer wait its
    turn instead of failing at once when it upgrades a read to a write.
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            if sqlite_write_first:
                dbapi_connection.isolation_level = None  # transactions begin in _begin below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        if sqlite_write_first:

            @event.listens_for(engine.sync_engine, "begin")
            def _begin(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_async_engine(
        _with_statement_cache(url), pool_size=pool_size, max_overflow=pool_size
    )
    event.listen(engine.sync_engine.pool, "checkout", _ping)
    return engine


def _ping(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Before a pooled connection is handed out, one empty query on it: a connection that the
    server dropped (a restart, a kill) is replaced by a new one instead of failing the caller's
    work. This is SQLAlchemy's `pool_pre_ping` in one round trip: its asyncpg ping wraps the
    query in a transaction of its own (BEGIN, query, ROLLBACK: three round trips, for PgBouncer
    in transaction mode, which sosa does not use), and every session pays it at checkout."""
    try:
        await_(dbapi_connection.driver_connection.fetchrow(";"))
    except Exception as exc:
        raise DisconnectionError(f"the pooled connection is gone: {exc!r}") from exc


STATEMENT_CACHE_SIZE: Final = 500
"""Prepared statements kept per asyncpg connection (SQLAlchemy's default is 100). The batched
writes render one statement per batch size (an IN list or a multi-row VALUES of n rows), so a
service cycles through more distinct statements than its code has; a statement found in the
cache skips PostgreSQL's parse and plan."""


def _with_statement_cache(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "prepared_statement_cache_size" in parsed.query:
        return url
    with_cache = parsed.update_query_dict(
        {"prepared_statement_cache_size": str(STATEMENT_CACHE_SIZE)}
    )
    return with_cache.render_as_string(hide_password=False)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_reachable(engine: AsyncEngine, *, timeout_s: float) -> None:
    """Raise ConnectionError with a readable message when the database does not answer."""
    try:
        async with asyncio.timeout(timeout_s), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (TimeoutError, OSError, Exception) as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise ConnectionError(f"database {url} is unreachable: {exc!r}") from exc


def is_postgres(connection: AsyncConnection | AsyncSession) -> bool:
    return _dialect(connection).name == "postgresql"


def _dialect(connection: AsyncConnection | AsyncSession) -> Dialect:
    bind = connection.get_bind() if isinstance(connection, AsyncSession) else connection
    return bind.dialect


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> int:
    """INSERT rows, skipping those whose primary or unique key exists; returns rows added."""
    if not rows:
        return 0
    statement: ReturningInsert[Any] = _on_conflict_do_nothing(session, table).returning(
        literal_column("1")
    )
    return len((await session.execute(statement, list(rows))).all())


async def insert_skipping_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT rows, skipping those whose primary or unique key exists, when the caller need not
    know which were added: with no RETURNING, the rows go to the driver's executemany (asyncpg:
    one prepared statement, whatever the number of rows), where a RETURNING makes SQLAlchemy
    render a multi-row VALUES whose text differs with the number of rows."""
    if rows:
        await session.execute(_on_conflict_do_nothing(session, table), list(rows))


async def insert_new(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]
) -> set[tuple[Any, ...]]:
    """INSERT rows, skipping those whose primary or unique key exists (on PostgreSQL, waiting
    for a concurrent transaction that inserted the same key to end); returns the `key` columns'
    values of the rows added, so the caller knows which of its rows were new."""
    if not rows:
        return set()
    statement = _on_conflict_do_nothing(session, table).returning(*(table.c[n] for n in key))
    return {tuple(row) for row in await session.execute(statement, list(rows))}


def _on_conflict_do_nothing(
    session: AsyncSession, table: Table
) -> postgresql.Insert | sqlite.Insert:
    """`INSERT ... ON CONFLICT DO NOTHING`, executed with a list of rows: SQLAlchemy's
    "insertmanyvalues" renders the rows from one compiled statement, where `.values([...])`
    would be a new statement to compile for every number of rows (most of a batch's CPU)."""
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    return insert(table).on_conflict_do_nothing()
