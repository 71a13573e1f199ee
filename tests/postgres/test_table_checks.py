"""Table checks against real PostgreSQL (embedded 18 and the system's 15): planted problems, healthy twin."""

from __future__ import annotations

import psycopg
import pytest

from mcp_servers.postgres.checks.tables import (
    CHECKS,
    NEVER_ANALYZED_TABLES,
    TABLE_BLOAT,
    TABLE_HIT_RATE,
    TABLE_INDEX_USAGE,
    VACUUM_DEAD_ROWS,
)
from mcp_servers.postgres.seed.storage import BLOATED_TABLE, SEQ_SCAN_TABLE, SEQ_SCANS
from tests.postgres.check_runs import run

pytestmark = pytest.mark.anyio


async def test_seq_scan_heavy_table_without_an_index_is_flagged(sick_db: str) -> None:
    [finding] = await run(sick_db, TABLE_INDEX_USAGE)
    assert finding.status == "yellow"  # red only from 64 MB (pg:diagnose's size class)
    [row] = finding.rows
    assert row["table"] == SEQ_SCAN_TABLE
    assert row["live_rows"] >= 10_000 and row["seq_scan"] >= SEQ_SCANS
    assert row["index_usage_pct"] is None or row["index_usage_pct"] < 95
    assert "CREATE INDEX CONCURRENTLY" in (finding.remediation or "")


async def test_dead_rows_on_a_table_with_autovacuum_disabled_are_red(sick_db: str) -> None:
    [finding] = await run(sick_db, VACUUM_DEAD_ROWS)
    assert finding.status == "red"
    [row] = finding.rows
    assert row["table"] == BLOATED_TABLE and row["autovacuum_enabled"] is False and row["expect_autovacuum"] is True
    # 95 % of 60,000 rows deleted; the trigger is 50 + 0.2 * reltuples (3,000 live rows after ANALYZE).
    assert row["dead_rows"] > 50_000
    assert row["autovacuum_threshold"] == 50 + int(0.2 * row["live_rows"])
    assert "autovacuum_enabled" in (finding.remediation or "")


async def test_autovacuum_falling_behind_is_yellow(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        # autovacuum stays enabled for the table, but with a trigger it has long passed (nap time 1 min).
        conn.execute("CREATE TABLE jobs (id int PRIMARY KEY, state text) WITH (autovacuum_vacuum_scale_factor = 0,"
                     " autovacuum_vacuum_threshold = 100)")
        conn.execute("INSERT INTO jobs SELECT g, 'queued' FROM generate_series(1, 5000) g")
        conn.execute("DELETE FROM jobs WHERE id <= 3000")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    [finding] = await run(fresh_db, VACUUM_DEAD_ROWS)
    assert finding.status == "yellow"
    [row] = finding.rows
    assert (row["table"], row["dead_rows"], row["autovacuum_threshold"]) == ("jobs", 3000, 100)


async def test_table_emptied_by_deletes_shows_as_bloat(sick_db: str) -> None:
    [finding] = await run(sick_db, TABLE_BLOAT)
    assert finding.status == "yellow"  # red needs > 64 MB wasted (pg:diagnose)
    [row] = finding.rows
    assert row["table"] == BLOATED_TABLE
    assert row["bloat_factor"] >= 10
    assert row["waste_bytes"] >= 8 * 1024 * 1024
    [red] = await run(sick_db, TABLE_BLOAT.with_limits(red_factor_waste_bytes=1024 * 1024))
    assert red.status == "red"


async def test_table_hit_rate_is_judged_against_its_threshold(sick_db: str) -> None:
    [normal] = await run(sick_db, TABLE_HIT_RATE)
    assert normal.status == "green" and normal.value is not None and normal.value >= 0.99
    [strict] = await run(sick_db, TABLE_HIT_RATE.with_limits(yellow_below=1.01, red_below=1.001))
    assert strict.status == "red" and strict.value == normal.value


async def test_table_with_rows_but_no_statistics_is_flagged_until_analyzed(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE imports (id int, payload text) WITH (autovacuum_enabled = false)")
        conn.execute("INSERT INTO imports SELECT g, 'x' FROM generate_series(1, 2000) g")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
        [before] = await run(fresh_db, NEVER_ANALYZED_TABLES)
        conn.execute("ANALYZE imports")
    [after] = await run(fresh_db, NEVER_ANALYZED_TABLES)
    assert (before.status, [r["table"] for r in before.rows]) == ("yellow", ["imports"])
    assert (after.status, after.rows) == ("green", [])


async def test_healthy_database_gets_no_table_warnings(healthy_db: str) -> None:
    findings = await run(healthy_db, *CHECKS)
    assert {f.check: f.status for f in findings} == {c.name: "green" for c in CHECKS}
