"""Index checks against real PostgreSQL (embedded 18 and the system's 15): planted problems, healthy twin."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.indexes import (
    CHECKS,
    DUPLICATE_INDEXES,
    INDEX_BLOAT,
    INDEX_HIT_RATE,
    INVALID_INDEXES,
    MISSING_FK_INDEXES,
    NULL_INDEXES,
    UNUSED_INDEXES,
)
from mcp_servers.postgres.seed.storage import DUPLICATE_PAIR, INVALID_INDEX, MISSING_FK, NULL_INDEX, UNUSED_INDEX
from tests.postgres.check_runs import fetch_rows, run

pytestmark = pytest.mark.anyio


def names(finding: Finding, key: str = "index") -> list[str]:
    return [r[key] for r in finding.rows]


async def test_unused_index_is_flagged_while_its_table_is_scanned_even_with_young_statistics(sick_db: str) -> None:
    [finding] = await run(sick_db, UNUSED_INDEXES)
    assert finding.status == "yellow"
    flagged = {r["index"]: r for r in finding.rows if r["trusted"]}
    assert flagged[UNUSED_INDEX]["class"] == "never used"
    assert flagged[UNUSED_INDEX]["index_scans"] == 0
    assert flagged[UNUSED_INDEX]["table_scans"] >= 1000
    # A fresh database's statistics were never reset: the finding says how old (unknown) they are.
    assert finding.reason is not None and finding.reason.startswith("statistics are of unknown age")
    assert finding.remediation is not None and "DROP INDEX CONCURRENTLY" in finding.remediation


async def test_unused_indexes_are_not_trusted_when_statistics_are_too_young(sick_db: str) -> None:
    strict = UNUSED_INDEXES.with_limits(min_table_scans=10**9)
    [finding] = await run(sick_db, strict)
    assert finding.status == "green"
    assert finding.reason is not None and "too young to trust" in finding.reason
    assert UNUSED_INDEX in names(finding)
    assert not any(r["trusted"] for r in finding.rows)


async def test_unused_indexes_trust_every_class_once_statistics_are_a_day_old(sick_db: str) -> None:
    facts, rows = await fetch_rows(sick_db, UNUSED_INDEXES)
    old = replace(facts, stats_reset=facts.now - timedelta(days=3))
    finding = UNUSED_INDEXES.evaluate(rows, UNUSED_INDEXES.limits, old)
    assert finding.status == "yellow" and finding.reason is None
    assert all(r["trusted"] for r in finding.rows)
    classes = {r["index"]: r["class"] for r in finding.rows}
    assert classes[UNUSED_INDEX] == "never used"
    assert NULL_INDEX not in classes  # low scans, high writes: but far under pg:diagnose's 64 MB floor
    fixes = {r["index"]: r["fix"] for r in finding.rows}
    assert fixes[UNUSED_INDEX] == f'DROP INDEX CONCURRENTLY "public"."{UNUSED_INDEX}";'


async def test_low_scans_high_writes_counts_only_above_the_size_floor(sick_db: str) -> None:
    check = UNUSED_INDEXES.with_limits(low_scan_min_bytes=0)
    facts, rows = await fetch_rows(sick_db, check)
    old = replace(facts, stats_reset=facts.now - timedelta(days=3))
    classes = {r["index"]: r["class"] for r in check.evaluate(rows, check.limits, old).rows}
    assert classes[NULL_INDEX] == "low scans, high writes"  # 5 lookups against 10,000 inserted rows


async def test_unused_indexes_say_statistics_reset_minutes_ago_are_too_young_to_trust(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE visits (id bigserial PRIMARY KEY, path text, at timestamptz)")
        conn.execute("CREATE INDEX visits_at_idx ON visits (at)")
        conn.execute("INSERT INTO visits (path, at) SELECT '/p' || g, now() FROM generate_series(1, 5000) g")
        conn.execute("SELECT pg_stat_reset()")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    [finding] = await run(fresh_db, UNUSED_INDEXES)
    assert finding.status == "green"
    assert re.match(r"statistics are \d+ minutes? old", finding.reason or "")
    assert [(r["index"], r["trusted"]) for r in finding.rows] == [("visits_at_idx", False)]


async def test_duplicate_index_names_the_unused_twin_and_the_index_covering_it(sick_db: str) -> None:
    [duplicates, unused] = await run(sick_db, DUPLICATE_INDEXES, UNUSED_INDEXES)
    assert duplicates.status == "yellow"
    [row] = duplicates.rows
    assert {row["index"], row["covered_by"]} == set(DUPLICATE_PAIR)
    assert row["table"] == "orders" and row["definition"].endswith("(customer_id)")
    # The twin to drop is the one the planner left unused, so the two checks give one piece of advice.
    assert row["index"] in [r["index"] for r in unused.rows if r["class"] == "never used"]


async def test_invalid_index_left_by_a_failed_concurrent_build_is_flagged(sick_db: str) -> None:
    [finding] = await run(sick_db, INVALID_INDEXES)
    assert finding.status == "yellow"
    assert finding.value == 1
    assert names(finding) == [INVALID_INDEX]
    assert finding.rows[0]["is_unique"] is True


async def test_mostly_null_index_is_flagged_with_its_null_share(sick_db: str) -> None:
    [finding] = await run(sick_db, NULL_INDEXES)
    assert finding.status == "yellow"
    [row] = finding.rows
    assert (row["index"], row["column"]) == (NULL_INDEX, "coupon_code")
    assert 0.9 <= row["null_frac"] <= 1.0
    assert 0 < row["expected_saving_bytes"] <= row["index_bytes"]


async def test_foreign_key_without_an_index_is_flagged(sick_db: str) -> None:
    [finding] = await run(sick_db, MISSING_FK_INDEXES)
    assert finding.status == "yellow"
    assert [(r["table"], r["constraint"], r["columns"], r["referenced_table"]) for r in finding.rows] == [
        ("order_items", MISSING_FK, "order_id", "orders")
    ]


async def test_index_left_sparse_by_mass_deletes_shows_as_bloat_under_lower_limits(sick_db: str) -> None:
    [default] = await run(sick_db, INDEX_BLOAT)
    assert default.status == "green"  # the demo's bloat is far below PgHero's 100 MB
    sensitive = INDEX_BLOAT.with_limits(yellow_waste_bytes=256 * 1024, min_factor=5.0)
    [finding] = await run(sick_db, sensitive)
    assert finding.status == "yellow"
    row = next(r for r in finding.rows if r["index"] == "events_customer_id_idx")
    assert row["bloat_factor"] >= 5
    assert row["waste_bytes"] > 256 * 1024


async def test_index_hit_rate_is_judged_against_its_threshold(sick_db: str) -> None:
    [normal] = await run(sick_db, INDEX_HIT_RATE)
    assert normal.status == "green" and normal.value is not None and normal.value >= 0.99
    [strict] = await run(sick_db, INDEX_HIT_RATE.with_limits(yellow_below=1.01, red_below=0.5))
    assert strict.status == "yellow" and strict.value == normal.value


async def test_healthy_database_gets_no_index_warnings(healthy_db: str) -> None:
    findings = await run(healthy_db, *CHECKS)
    assert {f.check: f.status for f in findings} == {c.name: "green" for c in CHECKS}


async def test_never_reset_statistics_are_dated_by_uptime_once_the_database_has_real_traffic(sick_db: str) -> None:
    facts, rows = await fetch_rows(sick_db, UNUSED_INDEXES)
    assert facts.stats_reset is None and facts.postmaster_start is not None
    up_for_weeks = facts.postmaster_start - timedelta(days=30)
    busy = replace(facts, postmaster_start=up_for_weeks, transactions=50_000)
    quiet = replace(facts, postmaster_start=up_for_weeks, transactions=50)
    strict = UNUSED_INDEXES.with_limits(min_table_scans=10**9)  # only the age can make rows trusted
    mature = strict.evaluate(rows, strict.limits, busy)
    assert mature.status == "yellow" and mature.reason is None
    # a database created minutes ago on a server up for weeks is not mature: young, whatever the uptime
    young = strict.evaluate(rows, strict.limits, quiet)
    assert young.status == "green" and young.reason.startswith("statistics are of unknown age")
