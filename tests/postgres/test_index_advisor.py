"""The index advisor against a workload whose right answers are known: every right index, none of the traps.

The verified path runs on the system PostgreSQL 15 with HypoPG (CI installs postgresql-15-hypopg); the
heuristic path on the embedded PostgreSQL 18, which has no HypoPG but does record pg_stat_statements.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.postgres.advisor import IndexAdvice, parse_index_spec, render_advice, suggest_indexes
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.seed.index_workload import RIGHT_INDEXES, WORKLOAD, plant_index_workload, run_index_workload
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from mcp_servers.postgres.tools.query import run_explain, run_query

pytestmark = pytest.mark.anyio

QUERIES = [q.sql for q in WORKLOAD]
UPDATE_SQL = next(q.sql for q in WORKLOAD if q.sql.startswith("UPDATE"))


@pytest.fixture(scope="module")
def hypopg_db(system_pg) -> Iterator[str]:
    """The workload on PostgreSQL 15 with HypoPG installed in the database."""
    url = system_pg.create_database("advisor_hypopg")
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION hypopg")
        except psycopg.errors.FeatureNotSupported as exc:
            pytest.fail(f"HypoPG is not installed for the system PostgreSQL ({exc}); run: apt-get install postgresql-15-hypopg")
        except psycopg.errors.UndefinedFile as exc:
            pytest.fail(f"HypoPG is not installed for the system PostgreSQL ({exc}); run: apt-get install postgresql-15-hypopg")
        plant_index_workload(conn)
    yield url
    system_pg.drop_database(url)


@pytest.fixture(scope="module")
def workload_db(embedded_pg) -> Iterator[str]:
    """The workload on the embedded PostgreSQL 18, run so pg_stat_statements has it (no HypoPG there)."""
    url = embedded_pg.create_database("advisor_workload")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        plant_index_workload(conn)
        run_index_workload(conn)
    yield url
    embedded_pg.drop_database(url)


def _found(advice: IndexAdvice) -> set[tuple[str, tuple[str, ...]]]:
    return {(s.table, tuple(s.columns)) for s in advice.suggestions}


async def test_verified_advice_finds_every_right_index_and_no_trap(hypopg_db: str) -> None:
    db = Database(PostgresSettings(database_url=hypopg_db, pool_max=1))
    try:
        advice = await suggest_indexes(db, db.settings, queries=QUERIES)
        assert advice.verification == "hypopg" and advice.enable_verification is None
        assert _found(advice) == RIGHT_INDEXES
        for s in advice.suggestions:
            assert s.confidence == "verified"
            assert s.size_bytes and s.size_bytes > 8192  # HypoPG's estimate of a 20k-100k row index
            assert s.table_writes_per_hour is not None
            assert all(h.cost_after is not None and h.cost_after < 0.8 * h.cost_before for h in s.statements)
        by_table = {(s.table, tuple(s.columns)): s for s in advice.suggestions}
        events = by_table[("public.events", ("account_id", "created_at"))]
        assert events.create_sql == 'CREATE INDEX CONCURRENTLY ON "public"."events" USING btree ("account_id", "created_at")'
        why = {(r.table, tuple(r.columns)): r.why for r in advice.rejected}
        assert "one value matches ~50% of rows" in why[("public.orders", ("is_paid",))]
        assert "tiny table" in why[("public.countries", ("name",))]
        assert "shipments_order_ref_shipped_at" in why[("public.shipments", ("order_ref",))]
        assert "products_sku_key" in why[("public.products", ("sku",))]
        assert "orders_pkey" in why[("public.orders", ("id",))]  # the DELETE ... USING trap: its keys are indexed
        touched = {c for x in [*advice.suggestions, *advice.rejected] for c in x.columns}
        assert "heartbeat_at" not in touched  # the column the UPDATE sets: never a candidate
        jobs = by_table[("public.jobs", ("worker_id",))]
        assert jobs.statements[0].query == UPDATE_SQL and jobs.write_note is None  # the write, as written
        # Nothing left behind in the (only) pooled session: no hypothetical index, no prepared statement.
        left = await db.fetch("SELECT (SELECT count(*) FROM hypopg_list_indexes) AS hypo, (SELECT count(*) FROM pg_prepared_statements) AS prepared")
        assert left == [{"hypo": 0, "prepared": 0}]
    finally:
        await db.close()


async def test_heuristic_advice_reads_the_workload_and_says_how_to_verify(workload_db: str) -> None:
    db = Database(PostgresSettings(database_url=workload_db))
    try:
        advice = await suggest_indexes(db, db.settings)
    finally:
        await db.close()
    assert advice.mode == "workload" and advice.verification == "heuristic"
    assert "hypopg" in (advice.enable_verification or "").lower()
    assert _found(advice) == RIGHT_INDEXES
    assert {s.confidence for s in advice.suggestions} == {"heuristic"}
    email = next(s for s in advice.suggestions if s.columns == ["email"])
    assert email.statements[0].queryid and email.statements[0].calls == 20
    assert email.statements[0].share_pct is not None and email.statements[0].cost_before > 0
    jobs = next(s for s in advice.suggestions if s.table == "public.jobs")
    assert jobs.statements[0].query == UPDATE_SQL and jobs.statements[0].calls == 20
    assert "other than SELECT, UPDATE and DELETE were not analysed" in (advice.note or "")  # the set-up's CREATE/INSERT


@pytest.mark.parametrize("path", ["hypopg", "heuristic"])
async def test_an_index_on_a_column_updates_set_is_suggested_with_a_note_and_no_write_runs(
    path: str, hypopg_db: str, workload_db: str,
) -> None:
    db = Database(PostgresSettings(database_url=hypopg_db if path == "hypopg" else workload_db, pool_max=1))
    queries = ["SELECT id FROM jobs WHERE worker_id = $1", "UPDATE jobs SET worker_id = $1, state = $2 WHERE id = $3",
               "DELETE FROM jobs j USING orders o WHERE o.id = j.id AND j.worker_id = $1"]
    try:
        before = await db.fetch("SELECT count(*) AS n, sum(worker_id) AS w FROM jobs")
        advice = await suggest_indexes(db, db.settings, queries=queries)
        after = await db.fetch("SELECT count(*) AS n, sum(worker_id) AS w FROM jobs")
    finally:
        await db.close()
    assert advice.verification == path and after == before  # planned as reads: nothing updated, nothing deleted
    (jobs,) = [s for s in advice.suggestions if s.table == "public.jobs"]
    assert jobs.columns == ["worker_id"] and "HOT" in (jobs.write_note or "") and "set worker_id (1 call)" in jobs.write_note
    assert {h.query for h in jobs.statements} == {queries[0], queries[2]}  # the UPDATE finds its rows by id
    assert f"note: {jobs.write_note}" in render_advice(advice)


async def test_pg_explain_plans_with_hypothetical_indexes_and_drops_them(hypopg_db: str) -> None:
    db = Database(PostgresSettings(database_url=hypopg_db, pool_max=1))
    sql = "SELECT id FROM events WHERE account_id = 7 ORDER BY created_at DESC LIMIT 20"
    try:
        before = await run_explain(db, db.settings, sql)
        with_index = await run_explain(db, db.settings, sql, hypothetical_indexes=["events(account_id, created_at)"])
        after = await run_explain(db, db.settings, sql)
        for call in ("SELECT * FROM hypopg_create_index('CREATE INDEX ON events (kind)')", "SELECT hypopg_reset()"):
            with pytest.raises(ToolError, match="refused"):
                await run_query(db, call)  # HypoPG only through the advisor's own code path
    finally:
        await db.close()
    assert any("btree_events_account_id_created_at" in (n.index or "") for n in with_index.summary.top_nodes)
    assert with_index.summary.total_cost < before.summary.total_cost / 10
    assert after.summary.total_cost == before.summary.total_cost


async def test_pg_explain_hypothetical_indexes_without_hypopg_names_the_fix(workload_db: str) -> None:
    db = Database(PostgresSettings(database_url=workload_db))
    try:
        with pytest.raises(ToolError, match="hypopg"):
            await run_explain(db, db.settings, "SELECT 1 FROM events", hypothetical_indexes=["events(account_id)"])
    finally:
        await db.close()


def test_hypothetical_index_definitions_are_rebuilt_from_names_only() -> None:
    spec = parse_index_spec('public."Odd Table" USING brin (ts)')
    assert spec.create_sql() == 'CREATE INDEX ON "public"."Odd Table" USING brin ("ts")'
    assert parse_index_spec("CREATE INDEX x ON t (a, b);").columns == ("a", "b")
    for bad in ("t (lower(a))", "t (a) WHERE a > 0", "t(a); DROP TABLE t", "DROP TABLE t"):
        with pytest.raises(ToolError):
            parse_index_spec(bad)


async def test_pg_suggest_indexes_over_mcp_for_one_statement(workload_db: str) -> None:
    server = build_server(PostgresSettings(database_url=workload_db))
    async with Client(server) as client:
        result = await client.call_tool("pg_suggest_indexes", {"sql": WORKLOAD[0].sql})
        write = await client.call_tool("pg_suggest_indexes", {"sql": UPDATE_SQL})
        refused = await client.call_tool("pg_suggest_indexes", {"sql": "INSERT INTO countries VALUES ('X', 'x')"})
    assert not result.is_error and not write.is_error
    assert write.structured_content["suggestions"][0]["columns"] == ["worker_id"]
    assert result.structured_content["suggestions"][0]["columns"] == ["email"]
    assert 'CREATE INDEX CONCURRENTLY ON "public"."customers" USING btree ("email")' in result.content[0].text
    assert refused.is_error and "refused" in refused.content[0].text


def test_statement_parsing_keeps_only_what_a_plain_index_on_the_column_can_serve() -> None:
    from mcp_servers.postgres.advisor.usage import ColumnUse, UnsupportedStatement, parse_statement

    parsed = parse_statement(
        "SELECT * FROM orders o WHERE o.placed_by = $1 AND lower(o.status) = 'x' AND (o.id = 1 OR o.total_cents > 5)"
        " AND o.created_at BETWEEN $2 AND $3 ORDER BY o.created_at, o.id DESC LIMIT 5"
    )
    (scope,) = parsed.scopes
    assert scope.uses == [ColumnUse("eq", "o", "placed_by"), ColumnUse("range", "o", "created_at")]
    assert not scope.order_limited  # mixed directions: no single btree scan yields that order
    assert parsed.param_count == 3
    for refused in ("INSERT INTO orders DEFAULT VALUES", "SELECT 1; SELECT 2", "SELECT FROM WHERE"):
        with pytest.raises(UnsupportedStatement):
            parse_statement(refused)


def test_writes_are_read_as_the_select_that_finds_their_rows() -> None:
    from mcp_servers.postgres.advisor.usage import ColumnUse, parse_statement

    update = parse_statement("UPDATE orders o SET status = $1, (placed_by, total_cents) = ($2, c.id) FROM customers c"
                             " WHERE c.id = o.customer_id AND c.email = $3 AND o.created_at < $4 RETURNING o.is_paid")
    assert update.read_sql == ("SELECT o.ctid FROM orders AS o, customers AS c"
                               " WHERE c.id = o.customer_id AND c.email = $1 AND o.created_at < $2")
    assert update.param_count == 2  # SET's $1 and $2 are gone; PREPARE types only what the read has
    assert update.write and update.write.table == (None, "orders")
    assert update.write.updated == ("status", "placed_by", "total_cents")
    (scope,) = update.scopes  # SET targets and RETURNING yield no use
    assert scope.uses == [ColumnUse("join", "c", "id"), ColumnUse("join", "o", "customer_id"),
                          ColumnUse("eq", "c", "email"), ColumnUse("range", "o", "created_at")]
    delete = parse_statement("DELETE FROM public.events USING customers WHERE customers.id = events.account_id"
                             " AND events.kind = $1 RETURNING events.id")
    assert delete.read_sql == ("SELECT events.ctid FROM public.events, customers"
                               " WHERE customers.id = events.account_id AND events.kind = $1")
    assert delete.write and delete.write.table == ("public", "events") and delete.write.updated == ()
    assert parse_statement("SELECT 1 FROM orders").read_sql is None
