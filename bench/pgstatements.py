"""What each service asked of PostgreSQL over a window: statements executed per item and the
busiest statements, read from `pg_stat_statements` when the server has it loaded
(scripts/postgres.sh loads it where the package ships it).

The view is cluster-wide: one snapshot before and one after a window, the differences grouped by
the database of each service (a fresh database per service and per run), give the statements
each service ran in the window. A statement's execution time there is the executor's wall time,
lock waits included, not the backend's CPU: the count is the figure to read (each statement is a
parse-or-bind and an execute on the server, and a round trip from the service), with the time as
a hint of where lock waits are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

_LOADED = text("SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'")
_SNAPSHOT = text(
    "SELECT dbid, queryid, calls, total_exec_time, query FROM pg_stat_statements "
    "WHERE dbid = ANY(:oids)"
)
_OIDS = text("SELECT datname, oid FROM pg_database WHERE datname = ANY(:names)")

_Key = tuple[int, int]


@dataclass
class _Statement:
    calls: int
    exec_ms: float
    query: str

    @property
    def mean_us(self) -> float:
        return self.exec_ms * 1000 / self.calls if self.calls else 0.0


@dataclass
class StatementMeter:
    """`await start()`, the load, `await stop()`, then `figures(count)`; says nothing (no
    figures) when the server has no `pg_stat_statements`."""

    admin_url: str
    databases: Mapping[str, str]
    """Service name -> that service's database URL."""
    busiest: int = 3
    _oids: dict[str, int] = field(default_factory=dict)
    _start: dict[_Key, _Statement] = field(default_factory=dict)
    _delta: dict[_Key, _Statement] = field(default_factory=dict)
    available: bool = False

    async def start(self) -> StatementMeter:
        self.available = await self._prepare()
        if self.available:
            self._start = await self._snapshot()
        return self

    async def stop(self) -> StatementMeter:
        if not self.available:
            return self
        end = await self._snapshot()
        for key, now in end.items():
            before = self._start.get(key, _Statement(0, 0.0, now.query))
            if now.calls > before.calls:
                self._delta[key] = _Statement(
                    now.calls - before.calls, now.exec_ms - before.exec_ms, now.query
                )
        return self

    def figures(self, count: int, unit: str) -> dict[str, object]:
        """Per item (request, record, delivery): each service's statements (BEGIN and COMMIT
        included) and transactions, and its busiest statements by executions per item (BEGIN,
        COMMIT and ROLLBACK left out), each with its mean execution time."""
        if not self.available or count <= 0:
            return {}
        by_service: dict[str, list[_Statement]] = defaultdict(list)
        service_of = {oid: service for service, oid in self._oids.items()}
        for (dbid, _), statement in self._delta.items():
            by_service[service_of[dbid]].append(statement)
        per_item = {
            service: round(sum(s.calls for s in found) / count, 2)
            for service, found in sorted(by_service.items())
        }
        commits = {
            service: round(sum(s.calls for s in found if _is_commit(s.query)) / count, 2)
            for service, found in sorted(by_service.items())
        }
        busiest = {
            service: "; ".join(
                [
                    f"{s.calls / count:.2f} x {_head(s.query)} ({s.mean_us:.0f} us)"
                    for s in sorted(found, key=lambda s: -s.calls)
                    if not _is_transaction_control(s.query)
                ][: self.busiest]
            )
            for service, found in sorted(by_service.items())
        }
        return {
            f"pg_statements_per_{unit}": per_item,
            f"pg_commits_per_{unit}": commits,
            **{f"pg_busiest_{service}": line for service, line in busiest.items()},
        }

    async def _prepare(self) -> bool:
        admin = create_async_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            async with admin.connect() as connection:
                loaded = str(await connection.scalar(_LOADED) or "")
                if "pg_stat_statements" not in loaded:
                    return False
                await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
                names = {make_url(url).database: service for service, url in self.databases.items()}
                rows = await connection.execute(_OIDS, {"names": list(names)})
                self._oids = {names[name]: int(oid) for name, oid in rows}
        finally:
            await admin.dispose()
        return bool(self._oids)

    async def _snapshot(self) -> dict[_Key, _Statement]:
        admin = create_async_engine(self.admin_url, poolclass=NullPool)
        try:
            async with admin.connect() as connection:
                oids = list(self._oids.values())
                rows = (await connection.execute(_SNAPSHOT, {"oids": oids})).all()
        finally:
            await admin.dispose()
        found: dict[_Key, _Statement] = {}
        for dbid, queryid, calls, ms, query in rows:  # a row per user and nesting level too
            key = (int(dbid), int(queryid or 0))
            before = found.get(key, _Statement(0, 0.0, str(query)))
            found[key] = _Statement(
                before.calls + int(calls), before.exec_ms + float(ms), before.query
            )
        return found


def _is_commit(query: str) -> bool:
    return query.strip().upper() in {"COMMIT", "END"}


def _is_transaction_control(query: str) -> bool:
    return query.strip().upper() in {"BEGIN", "COMMIT", "END", "ROLLBACK"}


def _head(query: str, width: int = 48) -> str:
    """The statement's first words, on one line."""
    flat = " ".join(query.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
