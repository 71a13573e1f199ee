"""pg_diagnose end to end: the sick database's planted problems, a healthy twin, and bad input."""

import sys

import anyio
import psycopg
import pytest
from mcp import Client
from web_process import accepts_connections, running_server

from mcp_servers.postgres.seed import recreate_database, sick_database
from mcp_servers.postgres.seed.activity import LIVE_LIMITS
from mcp_servers.postgres.seed.storage import plant_healthy_storage
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio

PLANTED = {
    # check name: the planted problem it must flag (red or yellow)
    "idle_in_transaction": "a session idle in transaction",
    "blocking_queries": "a blocked lock chain",
    "exclusive_locks": "an ACCESS EXCLUSIVE lock others wait on",
    "long_running_queries": "a long-running query",
    "long_transactions": "open transactions",
    "slow_queries": "a slow statement pattern in pg_stat_statements",
    "vacuum_dead_rows": "dead rows with autovacuum off",
    "sequences_near_max": "an int sequence near its max",
    "unused_indexes": "an unused index",
    "duplicate_indexes": "a duplicate index",
    "invalid_indexes": "an invalid index",
    "null_indexes": "a mostly-NULL index",
    "missing_fk_indexes": "a foreign key without an index",
    "table_bloat": "a bloated table",
    "table_index_usage": "a seq-scan-heavy table missing an index",
    "unlogged_tables": "an unlogged table",
    "invalid_constraints": "a NOT VALID constraint",
    "tables_without_primary_key": "a table without a primary key",
    "temp_file_spill": "a statement sorting on disk",
    "low_cardinality_indexes": "an index over four evenly spread values",
    "autovacuum_table_settings": "dead rows behind a 0.9 scale factor",
    "fillfactor_free_space": "an append-only table at fillfactor 10",
}


async def test_every_planted_problem_of_the_sick_database_is_flagged(embedded_pg) -> None:
    with sick_database(embedded_pg.admin_url, f"sick_{embedded_pg.version}") as url:
        settings = PostgresSettings(database_url=url, check_limits=LIVE_LIMITS)
        async with Client(build_server(settings)) as client:
            result = await client.call_tool("pg_diagnose", {})
    assert not result.is_error, result.content
    report = result.structured_content
    status = {f["check"]: f["status"] for f in report["findings"]}
    missed = {name: what for name, what in PLANTED.items() if status.get(name) not in ("red", "yellow")}
    assert missed == {}
    assert report["counts"]["skipped"] == 0
    text = result.content[0].text
    assert text.startswith(f"Database sick_{embedded_pg.version} (PostgreSQL 18)")
    assert "fix:" in text
    # the text the model reads carries each row's exact fix, identifiers quoted
    assert '      - DROP INDEX CONCURRENTLY "public"."orders_created_at_idx";' in text
    assert '      - ALTER TABLE "public"."payments" VALIDATE CONSTRAINT "payments_amount_positive";' in text


async def test_a_healthy_database_has_no_red_or_yellow_finding(embedded_pg) -> None:
    url = recreate_database(embedded_pg.admin_url, "healthy_twin")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        plant_healthy_storage(conn)
    try:
        async with Client(build_server(PostgresSettings(database_url=url))) as client:
            result = await client.call_tool("pg_diagnose", {})
    finally:
        embedded_pg.drop_database(url)
    assert not result.is_error, result.content
    problems = {f["check"]: f["summary"] for f in result.structured_content["findings"] if f["status"] in ("red", "yellow")}
    assert problems == {}


async def test_checks_can_be_chosen_by_area_and_unknown_names_are_refused_with_the_valid_ones(fresh_db) -> None:
    async with Client(build_server(PostgresSettings(database_url=fresh_db))) as client:
        by_area = await client.call_tool("pg_diagnose", {"checks": ["indexes"]})
        unknown = await client.call_tool("pg_diagnose", {"checks": ["indexs"]})
        bad_limit = await client.call_tool("pg_diagnose", {"limits": {"no_such_check": {"x": 1}}})
    assert {f["check"] for f in by_area.structured_content["findings"]} >= {"unused_indexes", "invalid_indexes"}
    assert all(f["check"] not in ("slow_queries", "ssl") for f in by_area.structured_content["findings"])
    assert unknown.is_error and "unknown check or area 'indexs'" in unknown.content[0].text
    assert "areas: activity, queries, indexes, tables, maintenance, server" in unknown.content[0].text
    assert bad_limit.is_error and "'no_such_check', which is not a check" in bad_limit.content[0].text


def test_mcp_database_url_takes_precedence_over_database_url() -> None:
    env = {"DATABASE_URL": "postgres://app@h/db", "MCP_DATABASE_URL": "postgres://reader@h/db"}
    assert PostgresSettings.from_env(env).database_url == "postgres://reader@h/db"
    assert PostgresSettings.from_env({"DATABASE_URL": "postgres://app@h/db"}).database_url == "postgres://app@h/db"


def test_malformed_pg_check_limits_is_a_clear_startup_error() -> None:
    with pytest.raises(ValueError, match="PG_CHECK_LIMITS must be a JSON object"):
        PostgresSettings.from_env({"PG_CHECK_LIMITS": "{not json"})


async def test_the_server_answers_over_streamable_http(fresh_db, tmp_path) -> None:
    argv = [sys.executable, "-m", "mcp_servers.postgres", "--transport", "http"]
    env = {"DATABASE_URL": fresh_db, "PATH": "/usr/bin:/bin"}
    with running_server(argv, env, tmp_path / "server.log", accepts_connections) as port:
        with anyio.fail_after(20):
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                result = await client.call_tool("pg_schema", {})
    assert not result.is_error
    assert result.structured_content["overview"]["schemas"][0]["schema"] == "public"


async def test_pg_stat_statements_installed_but_not_preloaded_is_skipped_with_the_fix(system_pg) -> None:
    # The machine's PostgreSQL 15 does not preload pg_stat_statements.
    url = system_pg.create_database("nopreload")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            preloaded = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
            conn.execute("CREATE EXTENSION pg_stat_statements")
        assert "pg_stat_statements" not in preloaded
        async with Client(build_server(PostgresSettings(database_url=url))) as client:
            result = await client.call_tool("pg_diagnose", {"checks": ["slow_queries"]})
    finally:
        system_pg.drop_database(url)
    (finding,) = result.structured_content["findings"]
    assert finding["status"] == "skipped"
    assert finding["reason"] == "pg_stat_statements is installed but not in shared_preload_libraries"
    assert "shared_preload_libraries" in finding["remediation"]
