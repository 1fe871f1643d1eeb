"""`make bench`'s statement meter (bench/pgstatements.py) on the PostgreSQL that the tests
started (scripts/postgres.sh loads pg_stat_statements): it counts what each service's database
ran over a window, and only that."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bench.pgstatements import StatementMeter
from tests.scratch_databases import scratch_database


async def test_each_database_counts_its_own_statements_in_the_window(
    postgres_admin_url: str,
) -> None:
    async with (
        scratch_database(postgres_admin_url, "sosa_bench_a") as first,
        scratch_database(postgres_admin_url, "sosa_bench_b") as second,
    ):
        engines = [create_async_engine(url, poolclass=NullPool) for url in (first, second)]
        try:
            # connected before the window, so a connection's own set-up is not counted either
            async with engines[0].connect() as one, engines[1].connect() as other:
                for connection in (one, other):
                    await connection.execute(text("CREATE TABLE t (n integer)"))
                    await connection.commit()
                await _run(one, ["INSERT INTO t VALUES (1)"], times=5)  # before the window

                meter = await StatementMeter(
                    postgres_admin_url, {"intake": first, "notifier": second}
                ).start()
                if not meter.available:
                    pytest.fail("pg_stat_statements is not loaded: scripts/postgres.sh loads it")
                await _run(one, ["INSERT INTO t VALUES (1)", "SELECT count(*) FROM t"], times=10)
                await _run(other, ["UPDATE t SET n = 2"], times=4)
                await meter.stop()
        finally:
            for engine in engines:
                await engine.dispose()

    figures = meter.figures(10, "request")
    # 10 x (BEGIN, INSERT, SELECT, COMMIT) in intake's; 4 x (BEGIN, UPDATE, COMMIT) in the other
    assert figures["pg_statements_per_request"] == {"intake": 4.0, "notifier": 1.2}
    assert figures["pg_commits_per_request"] == {"intake": 1.0, "notifier": 0.4}
    busiest = str(figures["pg_busiest_intake"])
    assert busiest.startswith("1.00 x ")
    assert "INSERT INTO t VALUES" in busiest
    assert "SELECT count(*) FROM t" in busiest
    assert "BEGIN" not in busiest
    assert "COMMIT" not in busiest
    assert str(figures["pg_busiest_notifier"]).startswith("0.40 x UPDATE t SET")


async def _run(connection: AsyncConnection, statements: list[str], *, times: int) -> None:
    for _ in range(times):
        for statement in statements:
            await connection.execute(text(statement))
        await connection.commit()
