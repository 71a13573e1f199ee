"""pg_query and pg_explain end to end, on PostgreSQL 18 (embedded), 15 (system) and 14, 16, 17 (slow tier), against a booby-trapped database.

The red-team corpus runs as the database superuser: the worst case, where only our layers stand
between the model and the server's files. Ordinary reads run as the read-only role that
scripts/create_readonly_role.py creates: the recommended setup.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from redteam_corpus import ANALYST_READS, ANALYST_SETUP_SQL, ATTACKS, PIECES, QUERY_SHAPE

from mcp_servers.postgres.db import Database
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from mcp_servers.postgres.tools.query import run_query
from tests.postgres.pg_versions import SERVERS_ON_EVERY_VERSION

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
RO_ROLE = "mcp_ro_test"
RO_PASSWORD = "ro-test-pw-7731"

TRAPS_SQL = """
CREATE TABLE canary (id int PRIMARY KEY, note text);
INSERT INTO canary VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma');
CREATE SEQUENCE canary_seq;
CREATE FUNCTION evil() RETURNS int LANGUAGE plpgsql AS $f$
BEGIN EXECUTE format('COPY (SELECT 1) TO %L', '{marker}'); RETURN 1; END $f$;
CREATE PROCEDURE evil_proc() LANGUAGE sql AS $f$ DELETE FROM canary $f$;
CREATE FUNCTION public.lower(int) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN 'x'; END $f$;
CREATE FUNCTION evil_check(text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN true; END $f$;
CREATE DOMAIN evil_domain AS text CHECK (evil_check(VALUE));
CREATE FUNCTION evil_op(int, int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN true; END $f$;
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = evil_op);
CREATE TYPE evil_box AS (v int);
CREATE FUNCTION evil_box_to_money(evil_box) RETURNS money LANGUAGE plpgsql AS $f$ BEGIN PERFORM evil(); RETURN 1; END $f$;
CREATE CAST (evil_box AS money) WITH FUNCTION evil_box_to_money(evil_box);
"""

STATE_SQL = """
SELECT (SELECT json_agg(c ORDER BY id) FROM canary c)::text AS canary,
       (SELECT last_value || '/' || is_called FROM canary_seq) AS seq,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public') AS relations,
       (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects
"""


@dataclass(frozen=True)
class TrapDb:
    admin_url: str
    readonly_url: str
    version: int
    secret_path: Path
    secret_text: str
    marker: Path

    def state(self, conn: psycopg.Connection | None = None) -> dict:
        """What the attacks must not change, read as the superuser (autocommit, fresh snapshot each time)."""
        if conn is None:
            with psycopg.connect(self.admin_url, autocommit=True) as own:
                return self.state(own)
        row = conn.execute(STATE_SQL).fetchone()
        return dict(zip(("canary", "seq", "relations", "large_objects"), row, strict=True))


@pytest.fixture(scope="module", params=SERVERS_ON_EVERY_VERSION)
def trap_db(request: pytest.FixtureRequest) -> Iterator[TrapDb]:
    cluster = request.getfixturevalue(f"{request.param}_pg")
    url = cluster.create_database("query")
    folder = Path(tempfile.mkdtemp(prefix="pgquery-"))
    folder.chmod(0o777)  # the server runs as another system user
    secret_text = f"TOPSECRET-{uuid.uuid4().hex}"
    secret = folder / "secret.txt"
    secret.write_text(secret_text)
    secret.chmod(0o644)
    marker = folder / "marker"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TRAPS_SQL.replace("{marker}", str(marker)))
        conn.execute(ANALYST_SETUP_SQL)
    made = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "create_readonly_role.py"), "--admin-url", url, "--role", RO_ROLE,
         "--password", RO_PASSWORD, "--show-password"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    readonly_url = re.search(r"^DATABASE_URL=(\S+)$", made.stdout, re.M)[1]
    try:
        yield TrapDb(url, readonly_url, cluster.version, secret, secret_text, marker)
    finally:
        cluster.drop_database(url)
        shutil.rmtree(folder, ignore_errors=True)


def _fill(sql: str, db: TrapDb) -> str:
    return sql.replace("{secret}", str(db.secret_path)).replace("{marker}", str(db.marker))


def _text(result) -> str:
    return json.dumps(result.structured_content) if not result.is_error else result.content[0].text


async def test_red_team_corpus_is_refused_or_harmless_and_changes_nothing(trap_db: TrapDb) -> None:
    watcher = psycopg.connect(trap_db.admin_url, autocommit=True)
    before = trap_db.state(watcher)
    settings_ = PostgresSettings(database_url=trap_db.admin_url, statement_timeout_ms=3_000, allow_explain_analyze=True)
    problems: list[str] = []
    refused = 0
    async with Client(build_server(settings_)) as client:
        for attack in ATTACKS:
            sql = _fill(attack.sql, trap_db)
            result = await client.call_tool("pg_query", {"sql": sql})
            text = _text(result)
            is_refusal = result.is_error and "refused" in text
            refused += is_refusal
            if attack.expect.startswith("refused") and not (is_refusal and attack.reason.lower() in text.lower()):
                problems.append(f"{attack.name}: expected refusal ({attack.reason}), got {text[:200]}")
            if "Traceback" in text or "Error executing tool pg_query: Error" in text:
                problems.append(f"{attack.name}: raw error {text[:200]}")
            if not attack.name.startswith("huge_"):  # EXPLAIN ANALYZE would run them to the timeout
                explained = await client.call_tool("pg_explain", {"sql": sql, "analyze": True})
                text += _text(explained)
            if trap_db.secret_text in text:
                problems.append(f"{attack.name}: the secret file's content came back")
            if trap_db.marker.exists():
                problems.append(f"{attack.name}: the server wrote the marker file")
                trap_db.marker.unlink()
            if trap_db.state(watcher) != before:
                problems.append(f"{attack.name}: the database changed")
        after = await client.call_tool("pg_query", {"sql": "SHOW default_transaction_read_only"})
    watcher.close()
    assert problems == []
    assert refused >= sum(a.expect.startswith("refused") for a in ATTACKS)
    assert after.structured_content["rows"] == [{"default_transaction_read_only": "on"}]


async def test_ordinary_analyst_reads_run_through_the_read_only_role(trap_db: TrapDb) -> None:
    false_refusals = []
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        for sql in ANALYST_READS:
            result = await client.call_tool("pg_query", {"sql": sql, "limit": 5})
            if result.is_error or not result.structured_content["columns"]:
                false_refusals.append(f"{sql[:70]} -> {_text(result)[:200]}")
    assert false_refusals == []


async def test_each_layer_alone_stops_a_write(trap_db: TrapDb) -> None:
    before = trap_db.state()
    # Layer 2: the extended protocol refuses a second statement even with no guard in front of it.
    db = Database(PostgresSettings(database_url=trap_db.admin_url))
    try:
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            async with db.read_only_transaction() as conn:
                async with psycopg.AsyncRawCursor(conn) as cur:
                    async for _ in cur.stream("SELECT 1; DELETE FROM canary"):
                        pass
        # Layer 3: the read-only transaction refuses a write that reached the server.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            async with db.read_only_transaction() as conn:
                await conn.execute("DELETE FROM canary")
    finally:
        await db.close()
    # The role: even in a read-write transaction it may not write.
    with psycopg.connect(trap_db.readonly_url) as conn:
        conn.execute("SET TRANSACTION READ WRITE")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM canary")
    assert trap_db.state() == before


async def test_rows_are_capped_and_the_result_says_so(trap_db: TrapDb) -> None:
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        by_rows = await client.call_tool("pg_query", {"sql": "SELECT generate_series(1, 100000000000) AS g", "limit": 7})
        by_bytes = await client.call_tool("pg_query", {"sql": "SELECT repeat('y', 1990) AS pad FROM generate_series(1, 500)"})
    assert by_rows.structured_content["row_count"] == 7
    assert by_rows.structured_content["rows"][-1] == {"g": 7}
    assert by_rows.structured_content["truncated"] is True
    assert "more than 7 rows" in by_rows.structured_content["truncated_reason"]
    assert by_bytes.structured_content["truncated"] is True
    assert "exceeded 64000 bytes" in by_bytes.structured_content["truncated_reason"]
    assert 20 < by_bytes.structured_content["row_count"] < 40


async def test_values_come_back_as_json_with_column_types(trap_db: TrapDb) -> None:
    sql = (
        "SELECT 1.50::numeric AS price, 'NaN'::numeric AS nan, date '2026-03-01' AS day, interval '1 day 2 hours' AS span, "
        "'\\xdeadbeef'::bytea AS raw, '{\"a\": [1, 2]}'::jsonb AS doc, ARRAY[1, 2] AS arr, "
        "'7c9e6679-7425-40de-944b-e07fc1f90ae7'::uuid AS id, '10.0.0.1'::inet AS ip, NULL::text AS nothing, "
        "1 AS dup, 2 AS dup"
    )
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        result = await client.call_tool("pg_query", {"sql": sql})
    content = result.structured_content
    assert content["rows"] == [{
        "price": 1.5, "nan": "NaN", "day": "2026-03-01", "span": "1 day, 2:00:00", "raw": "\\xdeadbeef",
        "doc": {"a": [1, 2]}, "arr": [1, 2], "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "ip": "10.0.0.1",
        "nothing": None, "dup": 1, "dup_2": 2,
    }]
    assert [c["type"] for c in content["columns"]][:4] == ["numeric", "numeric", "date", "interval"]
    assert content["truncated"] is False and content["statement"] == "select"


async def test_an_empty_result_still_names_its_columns(trap_db: TrapDb) -> None:
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        result = await client.call_tool("pg_query", {"sql": "SELECT id, note FROM canary WHERE false"})
    assert result.structured_content["rows"] == []
    assert result.structured_content["columns"] == [{"name": "id", "type": "int4"}, {"name": "note", "type": "text"}]


async def test_database_errors_are_one_clear_line(trap_db: TrapDb) -> None:
    settings_ = PostgresSettings(database_url=trap_db.readonly_url, statement_timeout_ms=200)
    async with Client(build_server(settings_)) as client:
        missing = await client.call_tool("pg_query", {"sql": "SELECT nope FROM canary"})
        slow = await client.call_tool("pg_query", {"sql": "SELECT count(*) FROM generate_series(1, 1000000000)"})
        params = await client.call_tool("pg_query", {"sql": "SELECT * FROM canary WHERE id = $1"})
    assert missing.content[0].text == (
        'Error executing tool pg_query: PostgreSQL error 42703: column "nope" does not exist; '
        'hint: Perhaps you meant to reference the column "canary.note".'
    )
    assert "canceling statement due to statement timeout (statement_timeout is 200 ms" in slow.content[0].text
    assert "pg_query takes no $1-style parameters" in params.content[0].text


async def test_explain_summarises_a_seq_scan_on_a_large_table_with_an_index_hint(trap_db: TrapDb) -> None:
    with psycopg.connect(trap_db.admin_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS events AS SELECT g AS id, g % 1000 AS account_id FROM generate_series(1, 30000) g")
        conn.execute("ANALYZE events")
    async with Client(build_server(PostgresSettings(database_url=trap_db.admin_url))) as client:
        result = await client.call_tool("pg_explain", {"sql": "SELECT * FROM events WHERE account_id = 42"})
    content = result.structured_content
    summary = content["summary"]
    assert content["analyzed"] is False and content["generic_plan"] is False
    assert content["plan"][0]["Plan"]["Node Type"] in ("Seq Scan", "Gather")
    assert summary["seq_scans_on_large_tables"][0]["table"] == "events"
    assert summary["seq_scans_on_large_tables"][0]["table_rows"] == 30000
    assert summary["seq_scans_on_large_tables"][0]["hint"] == "an index on events(account_id) may avoid reading all ~30000 rows"
    assert summary["total_cost"] > 0 and 0 < summary["plan_rows"] < 1000


async def test_explain_with_parameters_uses_generic_plan_on_16_and_refuses_clearly_before(trap_db: TrapDb) -> None:
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        result = await client.call_tool("pg_explain", {"sql": "SELECT * FROM orders WHERE customer_id = $1 AND status = $2"})
    if trap_db.version >= 160000:
        assert result.structured_content["generic_plan"] is True
        assert "$1" in json.dumps(result.structured_content["plan"])
    else:
        assert result.is_error
        assert result.content[0].text == (
            f"Error executing tool pg_explain: refused: $n parameters need EXPLAIN (GENERIC_PLAN), which PostgreSQL {trap_db.version // 10000} lacks (added in 16); "
            "replace each $n with a literal value or a typed NULL such as NULL::int"
        )


async def test_explain_analyze_needs_the_server_opt_in_and_still_changes_nothing(trap_db: TrapDb) -> None:
    before = trap_db.state()
    sql = "SELECT count(*) FROM orders WHERE total > 100"
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        off = await client.call_tool("pg_explain", {"sql": sql, "analyze": True})
    settings_ = PostgresSettings(database_url=trap_db.readonly_url, allow_explain_analyze=True)
    async with Client(build_server(settings_)) as client:
        on = await client.call_tool("pg_explain", {"sql": sql, "analyze": True})
        write = await client.call_tool("pg_explain", {"sql": "DELETE FROM canary", "analyze": True})
    assert off.is_error and "PG_ALLOW_EXPLAIN_ANALYZE=1" in off.content[0].text
    assert on.structured_content["analyzed"] is True
    assert on.structured_content["summary"]["execution_ms"] is not None
    assert on.structured_content["summary"]["top_nodes"][0]["actual_rows"] == 1
    assert write.is_error and write.content[0].text.endswith("refused: DELETE writes data; only reads are allowed")
    assert trap_db.state() == before


@st.composite
def composed_queries(draw: st.DrawFn) -> str:
    parts = {slot: draw(st.sampled_from(safe + hostile)) for slot, (safe, hostile) in PIECES.items()}
    parts["expr2"] = draw(st.sampled_from(PIECES["expr"][0] + PIECES["expr"][1]))
    return QUERY_SHAPE.format(**parts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sql=composed_queries())
def test_no_composed_query_changes_the_database(trap_db: TrapDb, sql: str) -> None:
    from mcp.server.mcpserver.exceptions import ToolError

    before = trap_db.state()

    async def attempt() -> None:
        db = Database(PostgresSettings(database_url=trap_db.admin_url, statement_timeout_ms=2_000))
        try:
            await run_query(db, sql)
        except ToolError:
            pass
        finally:
            await db.close()

    anyio.run(attempt)
    assert trap_db.state() == before, sql
    assert not trap_db.marker.exists(), sql


def test_readonly_role_script_is_idempotent_and_masks_the_password(trap_db: TrapDb) -> None:
    args = [sys.executable, str(ROOT / "scripts" / "create_readonly_role.py"), "--admin-url", trap_db.admin_url,
            "--role", RO_ROLE, "--password", RO_PASSWORD]
    again = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert again.returncode == 0, again.stderr
    assert f"role {RO_ROLE} updated; SELECT granted on schemas: public" in again.stdout
    assert RO_PASSWORD not in again.stdout and f"{RO_ROLE}:********@" in again.stdout
    with psycopg.connect(trap_db.readonly_url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SELECT pg_has_role('pg_monitor', 'member')").fetchone() == (True,)
