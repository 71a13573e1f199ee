from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from mcp import Client

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import DbFacts
from mcp_servers.postgres.checks.queries import SLOW_QUERIES, statements_sql
from mcp_servers.postgres.seed.activity import SLOW_CALLS, plant_server_problems
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from tests.conftest import PgCluster
from tests.postgres.check_runs import run

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def preloaded_15(preloaded15_pg: PgCluster) -> Iterator[str]:
    url = preloaded15_pg.create_database("app")
    yield url
    preloaded15_pg.drop_database(url)


NORMALISED_SLOW_QUERY = "SELECT count(*), sum(amount_cents) FROM payments CROSS JOIN pg_sleep($1) WHERE amount_cents > $2"


async def slow_queries(url: str, **limits: float) -> Finding:
    [finding] = await run(url, SLOW_QUERIES.with_limits(**limits))
    return finding


def facts(version: int, schema: str = "public") -> DbFacts:
    return DbFacts(server_version_num=version, database="app", max_connections=100, in_recovery=False,
                   stats_reset=None, now=datetime.now(UTC), extensions={"pg_stat_statements": schema})


async def test_slow_query_pattern_is_flagged_with_its_share_of_time(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        plant_server_problems(conn)
    finding = await slow_queries(fresh_db)
    assert finding.status == "red"  # the pattern takes most of this database's time
    assert finding.value == 1
    [row] = finding.rows
    assert row["query"] == NORMALISED_SLOW_QUERY
    assert row["calls"] == SLOW_CALLS
    assert 20 <= row["mean_ms"] < 200
    assert row["share_pct"] > 50
    assert finding.summary.startswith(f"1 slow statement ({round(row['share_pct'], 1)}% of execution time)")
    assert "statistics cover only the last" in finding.reason  # a server started minutes ago
    # pg_sleep reads nothing: the advice is about computation, never an index, and never EXPLAIN ANALYZE
    assert row["fix"].startswith("reads only") and "no index fixes" in row["fix"]
    assert "ANALYZE" not in finding.remediation


async def test_slow_queries_count_only_the_current_database(embedded_pg: PgCluster) -> None:
    busy, quiet = embedded_pg.create_database("busy"), embedded_pg.create_database("quiet")
    try:
        with psycopg.connect(busy, autocommit=True) as conn:
            plant_server_problems(conn)
        with psycopg.connect(quiet, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        finding = await slow_queries(quiet)
    finally:
        embedded_pg.drop_database(busy)
        embedded_pg.drop_database(quiet)
    assert (finding.status, finding.value, finding.rows) == ("green", 0, [])


async def test_extension_in_another_schema_is_found(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA heroku_ext")
        conn.execute("CREATE EXTENSION pg_stat_statements WITH SCHEMA heroku_ext")
        plant_server_problems(conn)  # its CREATE EXTENSION IF NOT EXISTS leaves heroku_ext's in place
        schema = conn.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_stat_statements'"
        ).fetchone()[0]
    finding = await slow_queries(fresh_db)
    assert schema == "heroku_ext"
    assert (finding.status, [r["query"] for r in finding.rows]) == ("red", [NORMALISED_SLOW_QUERY])


async def test_missing_extension_is_skipped_with_the_enable_command(any_pg: PgCluster) -> None:
    url = any_pg.create_database("nostat")
    try:
        finding = await slow_queries(url)
    finally:
        any_pg.drop_database(url)
    assert finding.status == "skipped"
    assert finding.summary == "extension pg_stat_statements is not installed"
    assert finding.remediation.startswith("Enable it: CREATE EXTENSION pg_stat_statements;")


async def test_extension_created_but_not_preloaded_is_skipped_with_the_reason(system_pg: PgCluster) -> None:
    # The machine's PostgreSQL 15 does not preload pg_stat_statements: the PG 13-16 column names cannot
    # be exercised there, so this is the path it takes (the embedded PG 18 covers the PG 17+ names).
    url = system_pg.create_database("nopreload")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
            conn.execute("CREATE EXTENSION pg_stat_statements")
        finding = await slow_queries(url)
    finally:
        system_pg.drop_database(url)
    assert "pg_stat_statements" not in preload
    assert finding.status == "skipped"
    assert "shared_preload_libraries" in finding.reason


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        (120000, ["total_time AS total_ms", "mean_time AS mean_ms", "blk_read_time + blk_write_time", "true AS toplevel",
                  "NULL::timestamptz AS stats_reset"], ["total_exec_time", "pg_stat_statements_info"]),
        (130000, ["total_exec_time AS total_ms", "blk_read_time + blk_write_time", "true AS toplevel"],
         ["shared_blk_read_time", "pg_stat_statements_info"]),
        (150000, ["total_exec_time AS total_ms", "blk_read_time + blk_write_time", "toplevel AS toplevel",
                  '"heroku_ext".pg_stat_statements_info'], ["shared_blk_read_time"]),
        (170000, ["total_exec_time AS total_ms", "shared_blk_read_time + shared_blk_write_time"], [" blk_read_time"]),
    ],
)
def test_statement_sql_uses_the_column_names_of_each_server_version(version: int, present: list[str], absent: list[str]) -> None:
    sql = statements_sql(facts(version, "heroku_ext"))
    assert '"heroku_ext".pg_stat_statements' in sql
    for text in present:
        assert text in sql
    for text in absent:
        assert text not in sql


async def test_postgres_15_column_names_read_a_real_preloaded_server(preloaded_15: str) -> None:
    with psycopg.connect(preloaded_15, autocommit=True) as conn:
        version = conn.info.server_version
        plant_server_problems(conn)
    finding = await slow_queries(preloaded_15)
    async with Client(build_server(PostgresSettings(database_url=preloaded_15))) as client:
        by_io = (await client.call_tool("pg_top_queries", {"order_by": "io"})).structured_content
        by_mean = (await client.call_tool("pg_top_queries", {"order_by": "mean_time"})).structured_content
    assert 150000 <= version < 160000
    assert (finding.status, [(r["query"], r["calls"]) for r in finding.rows]) == ("red", [(NORMALISED_SLOW_QUERY, SLOW_CALLS)])
    assert by_io["status"] == "ok" and by_io["queries"]  # blk_read_time + blk_write_time before PG 17
    io = [q["io_ms"] for q in by_io["queries"]]
    assert io == sorted(io, reverse=True)
    assert by_mean["stats_reset"] is not None  # pg_stat_statements_info exists from PG 14
    means = [q["mean_ms"] for q in by_mean["queries"]]
    assert means == sorted(means, reverse=True)
    assert NORMALISED_SLOW_QUERY in [q["query"] for q in by_mean["queries"]]
