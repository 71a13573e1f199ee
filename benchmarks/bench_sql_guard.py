"""Latency the read-only SQL guard adds to pg_query / pg_explain: parse + walk, and the in-database look-alike check."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

# The catalog check derives the whole database's user-code closure (types, relations, stored expressions) on
# every call: p50 5-10 ms on an empty database and 14-16 ms on the red-team schema (PostgreSQL 18, a loaded
# 2-core machine), well under a statement's round trip budget.
TARGETS_MS = {"typical_p50": 1.0, "typical_p95": 3.0, "large_p50": 100.0, "lookalike_check_p50": 25.0, "lookalike_check_trapped_p50": 40.0}
# "large" is 1-17 kB of SQL; pglast builds one Python object per node, which dominates there.
LARGE_QUERIES = {
    "3000_term_expression": "SELECT " + " + ".join(f"c{i % 50}" for i in range(3_000)) + " FROM t",
    "60_nested_subqueries": "SELECT * FROM " + "(SELECT * FROM " * 60 + "t" + ") s" * 60,
    "200_column_report": "SELECT " + ", ".join(
        f"sum(amount) FILTER (WHERE region = 'r{i}') AS r{i}" for i in range(200)
    ) + " FROM orders GROUP BY customer_id",
}


def _timings_ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 3) if len(values) > 1 else round(values[0], 3)


def _cold_first_call_ms() -> float:
    code = (
        "import time; t = time.perf_counter();"
        "from mcp_servers.postgres.guard import check_sql; check_sql('SELECT lower(x) FROM t');"
        "print((time.perf_counter() - t) * 1000)"
    )
    return round(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout), 1)


def _lookalike_ms(runs: int = 50, sql: str | None = None) -> dict[str, float]:
    """p50 of the catalog check on an empty database and on the red-team schema full of user code."""
    import psycopg
    from redteam_user_code import USER_CODE_TRAPS_SQL

    from mcp_servers.common.embedded_pg import EmbeddedPostgres
    from mcp_servers.postgres.guard import LOOKALIKES_SQL, check_sql, lookalike_params

    sql = sql or LOOKALIKES_SQL
    params = lookalike_params(check_sql("SELECT lower(a), b::text, c->>'k' FROM t WHERE d = 1 AND e ~ 'x'"))
    server = EmbeddedPostgres.temporary().start()
    figures = {}
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE trapped")
        with psycopg.connect(server.url("trapped"), autocommit=True) as trapped:
            trapped.execute(USER_CODE_TRAPS_SQL.replace("{marker}", "/dev/null"))
        for name, database in (("plain", "postgres"), ("trapped", "trapped")):
            with psycopg.connect(server.url(database)) as conn:
                conn.execute("SET jit = off")  # as pg_query's preflight does
                conn.execute(sql, params).fetchall()
                times = _timings_ms(lambda conn=conn: conn.execute(sql, params).fetchall(), runs)
            figures[name] = round(statistics.median(times), 3)
    finally:
        server.destroy()
    return figures


def run() -> dict:
    sys.path.insert(0, "tests/postgres")
    from redteam_corpus import ANALYST_READS

    from mcp_servers.postgres.guard import check_sql

    cold = _cold_first_call_ms()
    typical: list[float] = []
    for sql in ANALYST_READS:
        check_sql(sql)
        typical += _timings_ms(lambda sql=sql: check_sql(sql), 20)
    large = {}
    for name, sql in LARGE_QUERIES.items():
        times = _timings_ms(lambda sql=sql: check_sql(sql), 10)
        large[name] = {"chars": len(sql), "p50_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}
    figures = {
        "typical_queries": len(ANALYST_READS),
        "typical_p50_ms": _p(typical, 50),
        "typical_p95_ms": _p(typical, 95),
        "large": large,
        "large_p50_ms_max": max(v["p50_ms"] for v in large.values()),
        "cold_first_call_ms": cold,
    }
    lookalike = _lookalike_ms()
    figures["lookalike_check_p50_ms"] = lookalike["plain"]
    figures["lookalike_check_trapped_p50_ms"] = lookalike["trapped"]
    figures["targets_ms"] = TARGETS_MS
    figures["met"] = {
        "typical_p50": figures["typical_p50_ms"] <= TARGETS_MS["typical_p50"],
        "typical_p95": figures["typical_p95_ms"] <= TARGETS_MS["typical_p95"],
        "large_p50": figures["large_p50_ms_max"] <= TARGETS_MS["large_p50"],
        "lookalike_check_p50": figures["lookalike_check_p50_ms"] <= TARGETS_MS["lookalike_check_p50"],
        "lookalike_check_trapped_p50": figures["lookalike_check_trapped_p50_ms"] <= TARGETS_MS["lookalike_check_trapped_p50"],
    }
    return figures
