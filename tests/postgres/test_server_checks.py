from datetime import UTC, datetime

import psycopg
import pytest

from mcp_servers.common.results import Finding
from mcp_servers.postgres.checks.base import DbFacts
from mcp_servers.postgres.checks.server import CHECKS
from mcp_servers.postgres.checks.server_config import SSL_IN_USE
from mcp_servers.postgres.checks.wraparound import XID_MAX
from mcp_servers.postgres.seed.activity import plant_server_problems
from tests.postgres.check_runs import findings_by_name

pytestmark = pytest.mark.anyio


async def run(url: str, limits: dict[str, dict[str, float]] | None = None) -> dict[str, Finding]:
    return await findings_by_name(url, CHECKS, limits)


async def test_each_server_check_flags_its_planted_problem(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        plant_server_problems(conn)
    found = await run(db_url)

    sequences = found["sequences_near_max"]
    assert sequences.status == "red"
    assert [(r["sequence"], r["data_type"], r["columns"], r["used_pct"], r["limit_value"]) for r in sequences.rows] == [
        ("support_tickets_id_seq", "integer", "support_tickets.id integer", 93.13, 2147483647),
        # a bigint sequence feeding an int column: measured against the column's max, not its own
        ("legacy_invoice_seq", "bigint", "legacy_invoices.id integer", 79.16, 2147483647),
    ]
    assert sequences.rows[0]["values_left"] == 2147483647 - 2000000000
    int_seq, bigint_seq = (r["fix"] for r in sequences.rows)
    assert int_seq.startswith('ALTER SEQUENCE "public"."support_tickets_id_seq" AS bigint;')
    assert 'ALTER TABLE "public"."support_tickets" ADD COLUMN "id_bigint" bigint;' in int_seq
    # The sequence is already bigint: only the int column needs widening, by the online path.
    assert "ALTER SEQUENCE" not in bigint_seq
    assert "ACCESS EXCLUSIVE" in bigint_seq and 'ADD COLUMN "id_bigint" bigint' in bigint_seq

    unlogged = found["unlogged_tables"]
    assert (unlogged.status, [(r["schema"], r["name"]) for r in unlogged.rows]) == ("yellow", [("public", "session_cache")])

    invalid = found["invalid_constraints"]
    assert invalid.status == "yellow"
    assert [(r["table"], r["constraint"], r["definition"]) for r in invalid.rows] == [
        ("payments", "payments_amount_positive", "CHECK ((amount_cents > 0)) NOT VALID")
    ]
    assert invalid.rows[0]["fix"] == 'ALTER TABLE "public"."payments" VALIDATE CONSTRAINT "payments_amount_positive";'

    others = {n: f.status for n, f in found.items()
              if n not in ("sequences_near_max", "unlogged_tables", "invalid_constraints", "settings")}
    assert set(others.values()) == {"green"}, others
    # The machine's PostgreSQL 15 runs with autovacuum = off (a test-server choice): reported, rightly, as red.
    with psycopg.connect(db_url) as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
    settings = found["settings"]
    if autovacuum == "on":
        assert settings.status == "green"
    else:
        assert (settings.status, [r["setting"] for r in settings.rows]) == ("red", ["autovacuum"])
        # the advice is about autovacuum, not plans or work_mem
        assert settings.remediation.startswith("ALTER SYSTEM SET autovacuum = on;") and "work_mem" not in settings.remediation


async def test_server_checks_are_green_on_a_healthy_database(fresh_db: str) -> None:
    found = await run(fresh_db)
    assert {name: f.status for name, f in found.items()} == {c.name: "green" for c in CHECKS}
    with psycopg.connect(fresh_db) as conn:
        oldest = conn.execute("SELECT max(greatest(age(relfrozenxid), mxid_age(relminmxid))) FROM pg_class "
                              "WHERE relkind IN ('r', 'm')").fetchone()[0]
    wraparound = found["table_xid_wraparound"]
    # green still reports the real fewest ids left, not the 2^31 - 1 ceiling
    assert wraparound.value == XID_MAX - oldest and f"{XID_MAX - oldest:,}" in wraparound.summary


async def test_a_table_past_its_own_autovacuum_freeze_max_age_is_yellow(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE audit_log (id bigint) WITH (autovacuum_freeze_max_age = 100000, autovacuum_enabled = off)")
        conn.execute("INSERT INTO audit_log VALUES (1)")
        conn.execute("CREATE PROCEDURE burn_xids(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP "
                     "PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$")
        conn.execute("CALL burn_xids(100500)")
    found = await run(fresh_db)
    table = found["table_xid_wraparound"]
    assert table.status == "yellow", table.summary
    assert table.rows[0]["table"] == "audit_log" and table.rows[0]["freeze_max_age"] == 100000
    assert table.rows[0]["fix"] == 'VACUUM (FREEZE, VERBOSE) "public"."audit_log";'
    assert found["replication_lag"].summary == "standalone: not a replica, and no standby is streaming from this server"
    assert found["ssl"].summary.startswith("not encrypted, but the connection is local")


async def test_smallint_and_descending_sequences_are_measured_against_their_own_bounds(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE tags (id smallserial PRIMARY KEY)")
        conn.execute("SELECT setval('tags_id_seq', 30000)")
        conn.execute("CREATE SEQUENCE countdown AS integer INCREMENT BY -1")
        conn.execute("SELECT setval('countdown', -1700000000)")
        conn.execute("CREATE SEQUENCE roomy")  # bigint, far from its max
        conn.execute("SELECT setval('roomy', 2000000000)")
    finding = (await run(db_url))["sequences_near_max"]
    assert finding.status == "red"
    assert [(r["sequence"], r["data_type"], r["limit_value"], r["used_pct"], r["values_left"]) for r in finding.rows] == [
        ("tags_id_seq", "smallint", 32767, 91.56, 2767),
        ("countdown", "integer", -2147483648, 79.16, 447483648),
    ]


async def test_wraparound_counts_transactions_left_per_database_and_table(db_url: str) -> None:
    # On a shared server other sessions consume transaction ids while this test runs, and other databases
    # crowd the capped row list: the figures are checked between a reading before and one after the check.
    def oldest() -> tuple[int, int]:
        with psycopg.connect(db_url) as conn:
            database = conn.execute("SELECT max(greatest(age(datfrozenxid), mxid_age(datminmxid))) FROM pg_database").fetchone()[0]
            table = conn.execute(
                "SELECT max(greatest(age(relfrozenxid), mxid_age(relminmxid))) FROM pg_class WHERE relkind IN ('r', 'm', 't')"
            ).fetchone()[0]
        return database, table

    everything = {"yellow_remaining": XID_MAX, "red_remaining": 1000}
    before = oldest()
    found = await run(db_url, {"database_xid_wraparound": everything, "table_xid_wraparound": everything})
    after = oldest()
    for finding, index in ((found["database_xid_wraparound"], 0), (found["table_xid_wraparound"], 1)):
        assert finding.status == "yellow"
        low, high = sorted((before[index], after[index]))
        assert XID_MAX - high <= finding.value <= XID_MAX - low
        remaining = [r["remaining"] for r in finding.rows]
        assert remaining == sorted(remaining) and remaining[0] == finding.value  # the closest to wraparound first
    database = found["database_xid_wraparound"]
    names = {r["database"] for r in database.rows}
    assert db_url.rsplit("/", 1)[1] in names or database.rows_omitted > 0  # a busy server lists only the 10 oldest
    assert found["table_xid_wraparound"].rows_omitted > 0  # every catalog table qualified; the finding keeps 10


async def test_schema_count_counts_user_schemas(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        for name in ("tenant_a", "tenant_b", "tenant_c"):
            conn.execute(f"CREATE SCHEMA {name}")
        conn.execute("CREATE TABLE tenant_a.users (id int)")
    found = await run(db_url, {"schema_count": {"yellow_count": 4}})
    finding = found["schema_count"]
    assert (finding.status, finding.value, finding.summary) == ("yellow", 4, "4 user schemas")
    assert finding.rows[0] == {"schema": "tenant_a", "relations": 1}


async def test_inactive_replication_slot_is_flagged_with_its_retained_wal(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("SELECT pg_create_physical_replication_slot('gone_standby', true)")
    try:
        found = await run(fresh_db)
        heavy = await run(fresh_db, {"replication_slots": {"red_retained_mb": 0}})
    finally:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute("SELECT pg_drop_replication_slot('gone_standby')")
    slots = found["replication_slots"]
    assert (slots.status, slots.value, slots.summary) == ("yellow", 1, "1 replication slot, 1 inactive")
    assert [(r["slot"], r["type"], r["active"], r["wal_status"]) for r in slots.rows] == [
        ("gone_standby", "physical", False, "reserved")
    ]
    assert slots.rows[0]["retained_bytes"] >= 0
    # a physical slot without hot_standby_feedback keeps WAL, not old row versions
    assert slots.rows[0]["holds"] == "WAL from its restart_lsn on (disk)"
    assert slots.rows[0]["fix"] == "SELECT pg_drop_replication_slot('gone_standby');"
    assert "old row versions forever" not in slots.remediation
    assert heavy["replication_slots"].status == "red"


async def test_settings_sanity_flags_memory_and_planner_misconfiguration(fresh_db: str) -> None:
    name = fresh_db.rsplit("/", 1)[1]
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET work_mem = '512kB'")
        conn.execute(f"ALTER DATABASE \"{name}\" SET random_page_cost = 0.5")
    finding = (await run(fresh_db))["settings"]
    assert finding.status == "yellow"
    assert [(r["setting"], r["value"]) for r in finding.rows] == [("work_mem", "512kB"), ("random_page_cost", "0.5")]
    assert finding.summary == "work_mem = 512kB (under 1 MB); random_page_cost = 0.5 (below seq_page_cost, which the docs say makes no sense)"


def test_ssl_off_on_a_remote_connection_is_red_and_local_is_green() -> None:
    facts = DbFacts(server_version_num=180000, database="app", max_connections=100, in_recovery=False,
                    stats_reset=None, now=datetime.now(UTC))
    row = {"ssl": False, "version": None, "cipher": None, "server_ssl": "off"}
    remote = SSL_IN_USE.evaluate([{**row, "client_addr": "10.0.3.7", "local": False}], SSL_IN_USE.limits, facts)
    local = SSL_IN_USE.evaluate([{**row, "client_addr": "127.0.0.1", "local": True}], SSL_IN_USE.limits, facts)
    on = SSL_IN_USE.evaluate([{**row, "ssl": True, "version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
                               "client_addr": "10.0.3.7", "local": False}], SSL_IN_USE.limits, facts)
    assert (remote.status, remote.value) == ("red", "off")
    assert "10.0.3.7 is not encrypted" in remote.summary
    assert (local.status, local.value) == ("green", "off (local)")
    assert (on.status, on.summary) == ("green", "this connection is encrypted (TLSv1.3, TLS_AES_256_GCM_SHA384)")
