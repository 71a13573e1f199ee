"""mcp-postgres figures: STDIO cold start, tools/list size, a first call's latency and connections (a
one-off dyno's whole life), pg_diagnose on the demo and on 10k tables."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import anyio
import psycopg

from benchmarks._stdio import cold_start_report, first_result_ms
from mcp_servers.common.embedded_pg import EmbeddedPostgres

WIDE_SIZES = (1_000, 5_000, 10_000)  # tables; each has a primary key and one secondary index
FIRST_CALLS = 5  # cold processes, one pg_schema call each


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


def _first_call(url: str) -> dict:
    """Cold processes making one pg_schema call each: median ms to the answer, backend sessions per call."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "postgres"))
    from backend_sessions import sessions_once_idle

    before = sessions_once_idle(url)
    times = [first_result_ms(["-m", "mcp_servers.postgres"], {"name": "pg_schema", "arguments": {}},
                             {"DATABASE_URL": url})[0] for _ in range(FIRST_CALLS)]
    per_call = (sessions_once_idle(url) - before) / FIRST_CALLS
    return {"calls": FIRST_CALLS, "median_ms_to_answer": round(statistics.median(times), 1),
            "connections_per_call": per_call, "target_connections": 1, "met": per_call == 1}


def run() -> dict:
    pg = EmbeddedPostgres.temporary().start()
    try:
        report: dict = {"stdio": cold_start_report(["-m", "mcp_servers.postgres"], {"DATABASE_URL": pg.url()})}
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_first_call")
        report["first_call"] = _first_call(pg.url("bench_first_call"))
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
