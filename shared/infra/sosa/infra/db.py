"""Async SQLAlchemy engines for PostgreSQL (production, tests) and SQLite (embedded default)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Enum,
    String,
    Table,
    event,
    literal_column,
    make_url,
    text,
)
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


def is_lost_connection(exc: BaseException) -> bool:
    """Whether `exc` says the connection the work ran on is gone (SQLAlchemy invalidated it:
    the pool replaces it), as opposed to a server that refuses new connections or a statement
    that was wrong: work that surely did not commit may be tried again on a fresh one."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


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
    url: str,
    *,
    pool_size: int = 10,
    sqlite_write_first: bool = False,
    ping_after_idle_s: float = 0.0,
) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so readers and the relay coexist.

    `sqlite_write_first`: every SQLite transaction takes the write lock when it begins. For a
    service whose transactions all write (the router), this makes a second writer wait its
    turn instead of failing at once when it upgrades a read to a write.

    `ping_after_idle_s`: a pooled PostgreSQL connection is pinged at checkout (`_ping`) only
    when it was back in the pool at least this long (0: always). One that was in use a moment
    ago is not: a server restart within that moment fails one transaction, which SQLAlchemy
    takes as a disconnect (the pool's older connections are replaced with it) and which the
    caller retries, as it would if the restart came during the transaction.
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
    if ping_after_idle_s > 0:
        pool = engine.sync_engine.pool
        event.listen(pool, "checkin", _note_checkin)
        event.listen(pool, "checkout", functools.partial(_ping_if_idle, ping_after_idle_s))
    else:
        event.listen(engine.sync_engine.pool, "checkout", _ping)
    return engine


def _note_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["sosa_checked_in_at"] = time.monotonic()


def _ping_if_idle(
    idle_s: float, dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any
) -> None:
    """`_ping`, for a connection back in the pool for at least `idle_s` (or never used)."""
    checked_in_at = record.info.get("sosa_checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at >= idle_s:
        _ping(dbapi_connection, record, proxy)


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


def unnest_insert(
    table: Table,
    columns: Sequence[str] | None = None,
    *,
    prefix: str = "",
    where: str = "",
    lengths_checked: bool = False,
) -> str:
    """On PostgreSQL, `INSERT INTO <table> (<columns>) SELECT ... FROM unnest(<one array per
    column>)`: the rows as one bound array per column, named `prefix` + the column's name
    (`unnest_arrays` gives their values); `columns` defaults to every column but an
    autoincrementing key, a column not named gets its default. The text is the same whatever
    the number of rows, so it is parsed and planned once per connection, and the driver sends a
    few arrays instead of a parameter set per row; `unnest` keeps the arrays' order, so the rows
    are inserted (and their keys locked) in the order given. JSON values travel as text, cast
    back in the SELECT; `where` filters the SELECT. A caller appends its `ON CONFLICT` or
    `RETURNING`, or makes it one of a statement's CTEs (several tables in one round trip).

    Each array is cast to its column's type, and PostgreSQL's explicit cast to `VARCHAR(n)` cuts
    a longer string to n characters without a word; with `lengths_checked`, strings travel as
    `TEXT` and the column's own length is checked as the row is written: a longer value is
    refused ("value too long"), as a row inserted with its own parameters would be."""
    named = _named(table, columns)
    dialect: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quoted = [dialect.identifier_preparer.quote(c.name) for c in named]
    arrays = _cast_arrays(named, prefix, dialect, lengths_checked)
    selected = ", ".join(_unnested(c, q) for c, q in zip(named, quoted, strict=True))
    names = ", ".join(quoted)
    return (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "  # noqa: S608 - names from the table's metadata; values bound
        f"SELECT {selected} FROM unnest({arrays}) AS u({names})"
        + (f" WHERE {where}" if where else "")
    )


def unnest_update(
    table: Table,
    key: str,
    changing: Sequence[str],
    *,
    prefix: str = "",
    lengths_checked: bool = False,
) -> str:
    """On PostgreSQL, `UPDATE <table> SET <changing...> FROM unnest(<one array per column>)
    WHERE <table>.<key> = u.<key>`: each row's new values for the columns `changing`, found by
    its `key`, as `unnest_insert` takes its rows (one text whatever the number of rows; the
    parameters: `unnest_arrays(table, rows, dialect, [key, *changing], prefix=prefix)`;
    `lengths_checked` as there)."""
    dialect: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    named = _named(table, [key, *changing])
    arrays = _cast_arrays(named, prefix, dialect, lengths_checked)
    sets = ", ".join(f"{quote(c.name)} = {_unnested(c, quote(c.name))}" for c in named[1:])
    formatted = dialect.identifier_preparer.format_table(table)
    return (
        f"UPDATE {formatted} SET {sets} "  # noqa: S608 - names from the table's metadata; values bound
        f"FROM unnest({arrays}) AS u({', '.join(quote(c.name) for c in named)}) "
        f"WHERE {formatted}.{quote(key)} = u.{quote(key)}"
    )


def unnest_arrays(
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    dialect: Dialect,
    columns: Sequence[str] | None = None,
    *,
    prefix: str = "",
    json_text: bool = False,
) -> dict[str, list[Any]]:
    """The parameters of `unnest_insert(table, columns, prefix=prefix)` (or `unnest_update`):
    one list per column, each value as SQLAlchemy binds it for that column (a JSON value
    serialised, None as the JSON null SQLAlchemy writes for it, an instant in UTC, a naive one
    refused). With `json_text`, the rows' JSON values are their JSON already, as text, passed
    on as they are (a caller that serialised them once for other uses too)."""
    arrays: dict[str, list[Any]] = {}
    for name, process in _bind_processors(
        table, dialect, None if columns is None else tuple(columns), json_text
    ):
        values = [row.get(name) for row in rows]
        arrays[prefix + name] = values if process is None else [process(v) for v in values]
    return arrays


def _named(table: Table, columns: Sequence[str] | None) -> list[Any]:
    if columns is not None:
        return [table.c[name] for name in columns]
    return [c for c in table.columns if c.autoincrement is not True]


@cache
def _bind_processors(
    table: Table, dialect: Dialect, columns: tuple[str, ...] | None, json_text: bool = False
) -> list[tuple[str, Any]]:
    return [
        (
            c.name,
            None
            if json_text and _is_json(c)
            else c.type.dialect_impl(dialect).bind_processor(dialect),
        )
        for c in _named(table, columns)
    ]


def _is_json(column: Any) -> bool:
    return isinstance(column.type, JSON)


def _cast_arrays(named: Sequence[Any], prefix: str, dialect: Dialect, lengths_checked: bool) -> str:
    """Each column's bound array, cast to an array of its type (`_array_element`)."""
    return ", ".join(
        f"CAST(:{prefix}{c.name} AS {_array_element(c, dialect, lengths_checked)}[])" for c in named
    )


def _unnested(column: Any, quoted: str) -> str:
    """A column's value from the unnested arrays `u` (JSON travels as text)."""
    return f"CAST(u.{quoted} AS JSON)" if _is_json(column) else f"u.{quoted}"


def _array_element(column: Any, dialect: Dialect, lengths_checked: bool = False) -> str:
    if _is_json(column):
        return "TEXT"
    if lengths_checked and isinstance(column.type, String) and not isinstance(column.type, Enum):
        return "TEXT"
    return str(column.type.compile(dialect=dialect))
