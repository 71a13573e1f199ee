"""pg_query and pg_explain against hostile input, on every PostgreSQL Heroku runs (18 embedded, 15 system; 14, 16, 17 in the slow tier), in a booby-trapped database.

Each layer of the read-only design (guard, extended protocol, read-only transaction, read-only role) is
shown to stop a write on its own; the red-team corpus and composed queries must be refused or harmless.
"""

from __future__ import annotations

import json

import anyio
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from query_traps import RO_PASSWORD, RO_ROLE, TrapDb, run_readonly_role_script
from redteam_corpus import ANALYST_READS, ATTACKS, PIECES, QUERY_SHAPE

from mcp_servers.postgres.db import Database
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings
from mcp_servers.postgres.tools.query import run_query

pytestmark = pytest.mark.anyio


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
    again = run_readonly_role_script(trap_db.cluster_admin_url, trap_db.admin_url)
    assert again.returncode == 0, again.stderr
    assert f"role {RO_ROLE} updated; SELECT granted on schemas: public" in again.stdout
    assert RO_PASSWORD not in again.stdout and f"{RO_ROLE}:********@" in again.stdout
    with psycopg.connect(trap_db.readonly_url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SELECT pg_has_role('pg_monitor', 'member')").fetchone() == (True,)
