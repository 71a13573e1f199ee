"""Every check on each PostgreSQL major version Heroku runs (14, 15, 16, 17 and 18): one sick database
with every problem family, one healthy twin with young statistics, one with mature statistics."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import gather_facts, run_check
from mcp_servers.postgres.checks.consistency import reconcile
from mcp_servers.postgres.checks.registry import all_checks
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.seed.activity import LIVE_LIMITS, LiveProblems, plant_server_problems
from mcp_servers.postgres.seed.families import FAMILY_LIMITS, FamilyLiveProblems, plant_family_problems
from mcp_servers.postgres.seed.storage import plant_healthy_storage, plant_storage_problems, replay_healthy_traffic
from mcp_servers.postgres.settings import PostgresSettings
from tests.conftest import PgCluster

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

# check -> what the sick database plants for it (each must come back red or yellow on every version)
FAMILIES = {
    "tables_without_primary_key": "clickstream has no primary key",
    "temp_file_spill": "a sort of about 15 MB with work_mem 64 kB",
    "prepared_transactions": "a forgotten prepared transaction",
    "autovacuum_workers": "a throttled autovacuum worker",
    "table_xid_wraparound": "ledger_archive past its own autovacuum_freeze_max_age",
    "autovacuum_table_settings": "dead rows behind a 0.9 scale factor",
    "low_cardinality_indexes": "an index over four evenly spread carriers",
    "blocking_queries": "an advisory lock held outside a transaction",
    "connection_pooling": "30 idle connections from web",
    "idle_in_transaction": "a transaction idle in the aborted state",
    "fillfactor_free_space": "an append-only table at fillfactor 10",
}


async def diagnose(url: str, limits: dict[str, dict[str, float]], *, stats_age: timedelta | None = None) -> dict[str, Finding]:
    db = Database(PostgresSettings(database_url=url))
    try:
        facts = await gather_facts(db)
        if stats_age is not None:  # judge the counters as if they were this old
            facts = type(facts)(**{**facts.__dict__, "stats_reset": facts.now - stats_age})
        checks = [c.with_limits(**limits.get(c.name, {})) for c in all_checks()]
        return {f.check: f for f in reconcile([await run_check(db, c, facts) for c in checks])}
    finally:
        await db.close()


def problems(found: dict[str, Finding]) -> dict[str, str]:
    return {name: f.summary for name, f in found.items() if f.status in ("red", "yellow")}


async def test_every_problem_family_is_flagged_with_runnable_fixes(versioned_pg: PgCluster) -> None:
    url = versioned_pg.create_database("families")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            plant_storage_problems(conn)
            plant_server_problems(conn)
            plant_family_problems(conn)
        with FamilyLiveProblems(url) as family, LiveProblems(url):
            found = await diagnose(url, {**LIVE_LIMITS, **FAMILY_LIMITS})
    finally:
        versioned_pg.drop_database(url)
    missed = {name: what for name, what in FAMILIES.items() if found[name].status not in ("red", "yellow")}
    assert missed == {}, {name: found[name].summary for name in missed}
    assert {n: f.reason for n, f in found.items() if f.status == "skipped"} == {}
    # each flagged finding names its objects: a fix per row (or a finding-level one), no placeholders left
    for f in found.values():
        if f.status in ("red", "yellow"):
            fixes = [r["fix"] for r in f.rows if "fix" in r] or [f.remediation or ""]
            assert all(fix and "<table>" not in fix and "<index>" not in fix and "PID" not in fix for fix in fixes), f
    assert found["prepared_transactions"].rows[0]["fix"].startswith("ROLLBACK PREPARED 'payments-batch-42';")
    assert any(r["table"] == "ledger_archive" for r in found["table_xid_wraparound"].rows)
    assert "aborted" in found["idle_in_transaction"].summary
    assert "pg:connection-pooling:attach" in found["connection_pooling"].remediation
    advisory = next(r for r in found["blocking_queries"].rows if r["lock_kind"] == "advisory")
    assert advisory["blocking_pid"] == family.pids["cron-leader"] and "pg_advisory_unlock(4242)" in advisory["fix"]


async def test_healthy_database_is_clean_with_young_and_with_mature_statistics(versioned_pg: PgCluster) -> None:
    url = versioned_pg.create_database("healthy")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            plant_healthy_storage(conn)
        young = await diagnose(url, {})
        with psycopg.connect(url, autocommit=True) as conn:
            replay_healthy_traffic(conn)
        mature = await diagnose(url, {}, stats_age=timedelta(days=3))
    finally:
        versioned_pg.drop_database(url)
    assert problems(young) == {}
    assert problems(mature) == {}
