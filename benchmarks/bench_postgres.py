"""mcp-postgres figures: STDIO cold start, tools/list size, pg_diagnose on the demo and on 10k tables."""

from __future__ import annotations

import statistics
import time

import anyio
import psycopg

from benchmarks._stdio import cold_start_report
from mcp_servers.common.embedded_pg import EmbeddedPostgres

WIDE_SIZES = (1_000, 5_000, 10_000)  # tables; each has a primary key and one secondary index


def _build_wide(url: str, tables: int, already: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(already, tables, 500):
            stop = min(start + 500, tables)
            conn.execute(
                f"DO $$ BEGIN FOR i IN {start}..{stop - 1} LOOP "
                "EXECUTE format('CREATE TABLE w_%s (id int PRIMARY KEY, v int, note text)', i); "
                "EXECUTE format('CREATE INDEX ON w_%s (v)', i); END LOOP; END $$"
            )


async def _diagnose_ms(url: str, runs: int = 5) -> tuple[float, dict[str, int]]:
    from mcp import Client

    from mcp_servers.postgres.server import build_server
    from mcp_servers.postgres.settings import PostgresSettings

    async with Client(build_server(PostgresSettings(database_url=url))) as client:
        await client.list_tools()
        await client.call_tool("pg_diagnose", {})  # warm the pool
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = await client.call_tool("pg_diagnose", {})
            times.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise RuntimeError(result.content[0].text)
        return round(statistics.median(times), 1), result.structured_content["counts"]


def run() -> dict:
    pg = EmbeddedPostgres.temporary().start()
    try:
        report: dict = {"stdio": cold_start_report(["-m", "mcp_servers.postgres"], {"DATABASE_URL": pg.url()})}
        from mcp_servers.postgres.seed import sick_database

        with sick_database(pg.url(), "bench_sick") as url:
            ms, counts = anyio.run(_diagnose_ms, url)
        report["diagnose_demo_db"] = {"ms": ms, "target_ms": 150, "met": ms <= 150, "counts": counts}
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_wide")
        wide_url = pg.url("bench_wide")
        growth = []
        built = 0
        for size in WIDE_SIZES:
            started = time.perf_counter()
            _build_wide(wide_url, size, built)
            built = size
            build_s = time.perf_counter() - started
            ms, _ = anyio.run(_diagnose_ms, wide_url, 3)
            growth.append({"tables": size, "indexes": size * 2, "diagnose_ms": ms, "build_s": round(build_s, 1)})
        last = growth[-1]["diagnose_ms"]
        report["diagnose_wide_db"] = {"growth": growth, "target_ms_at_10k": 3000, "met": last <= 3000}
        return report
    finally:
        pg.destroy()
