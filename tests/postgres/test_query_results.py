"""What pg_query and pg_explain return: capped rows, JSON values, clear errors and plan summaries, with their text."""

from __future__ import annotations

import json

import psycopg
import pytest
from mcp import Client
from query_traps import TrapDb

from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio


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
    head, header, rule, *rows = by_rows.content[0].text.splitlines()
    assert head.startswith("7 rows (select, ") and head.endswith("; truncated: more than 7 rows; raise limit (max 1000) or aggregate")
    assert (header, rule, rows) == ("g", "-", [str(n) for n in range(1, 8)])


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
    header, rule, row = result.content[0].text.splitlines()[1:]
    assert header.split(" | ")[-3:] == ["nothing", "dup", "dup_2"] and set(rule) == {"-", "+"}
    assert [cell.strip() for cell in row.split(" | ")][5:] == ['{"a":[1,2]}', "[1,2]", "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                                                                "10.0.0.1", "NULL", "1", "2"]


async def test_an_empty_result_still_names_its_columns(trap_db: TrapDb) -> None:
    async with Client(build_server(PostgresSettings(database_url=trap_db.readonly_url))) as client:
        result = await client.call_tool("pg_query", {"sql": "SELECT id, note FROM canary WHERE false"})
    assert result.structured_content["rows"] == []
    assert result.structured_content["columns"] == [{"name": "id", "type": "int4"}, {"name": "note", "type": "text"}]
    assert result.content[0].text.splitlines()[-1] == "columns: id (int4), note (text)"


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
    text = result.content[0].text
    assert text.startswith(f"estimated plan: total cost {summary['total_cost']:g}, ")
    assert "-> Seq Scan on events" in text
    assert "an index on events(account_id) may avoid reading all ~30000 rows" in text


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
    assert on.content[0].text.startswith("actual plan: ") and "execution " in on.content[0].text.splitlines()[0]
    assert write.is_error and write.content[0].text.endswith("refused: DELETE writes data; only reads are allowed")
    assert trap_db.state() == before
