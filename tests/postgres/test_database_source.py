"""Where mcp-postgres's database comes from: never an embedded stand-in on a dyno; labelled when local."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.postgres.database_source import EMBEDDED_ERROR_SUFFIX, EMBEDDED_NOTE
from mcp_servers.postgres.seed.demo import DEMO_DATABASE
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def _arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """Schema-valid arguments: only the required ones, each a plain read."""
    def value(prop: dict[str, Any]) -> Any:
        if prop.get("enum"):
            return prop["enum"][0]
        return "select 1" if prop.get("type") == "string" else 1

    props = schema.get("properties", {})
    return {name: value(props.get(name, {})) for name in schema.get("required", [])}


def _postgres_processes_using(path: Path) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(int(pid))
    return found


async def test_on_a_dyno_without_a_database_url_every_database_tool_refuses_and_no_postgres_starts(tmp_path: Path) -> None:
    data_dir = tmp_path / "would-be-embedded"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.postgres"],
        # What a one-off dyno of an app with no database attached sees: DYNO set, no DATABASE_URL.
        env={"DYNO": "run.4242", "HEROKU_APP_NAME": "my-mcp-app", "EMBEDDED_PG_DATA_DIR": str(data_dir)},
        cwd=str(ROOT),
    )
    with anyio.fail_after(60):
        async with Client(stdio_client(params)) as client:
            tools = (await client.list_tools()).tools
            assert len(tools) >= 7
            for tool in tools:
                result = await client.call_tool(tool.name, _arguments(tool.input_schema))
                text = " ".join(block.text for block in result.content if block.type == "text")
                assert result.is_error, f"{tool.name} answered without a database: {text[:200]}"
                assert "neither MCP_DATABASE_URL nor DATABASE_URL is set on this dyno (DYNO=run.4242)" in text, tool.name
                assert "heroku addons:attach <postgresql-addon-name> -a my-mcp-app" in text, tool.name
    assert not data_dir.exists(), "an embedded PostgreSQL was initialised on a dyno"
    assert _postgres_processes_using(data_dir) == []


def _data_directory(admin_url: str) -> Path:
    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return Path(row[0])


async def test_locally_without_a_database_url_every_answer_says_it_came_from_the_embedded_demo_database(embedded_pg) -> None:
    # The session's embedded server stands in for .data/postgres: EmbeddedPostgres reuses a running one.
    settings = PostgresSettings(database_url=None, embedded_data_dir=_data_directory(embedded_pg.admin_url))
    async with Client(build_server(settings)) as client:
        ok = await client.call_tool("pg_schema", {})
        assert not ok.is_error
        assert ok.content[-1].text == EMBEDDED_NOTE
        assert ok.structured_content is not None  # the typed result itself is unchanged
        refused = await client.call_tool("pg_query", {"sql": "delete from pg_class"})
        assert refused.is_error
        assert refused.content[0].text.endswith(EMBEDDED_ERROR_SUFFIX)


async def test_with_a_database_url_answers_carry_no_embedded_note(fresh_db: str) -> None:
    async with Client(build_server(PostgresSettings(database_url=fresh_db, dyno="run.1"))) as client:
        result = await client.call_tool("pg_schema", {})
    assert not result.is_error
    assert all(EMBEDDED_NOTE not in block.text for block in result.content if block.type == "text")


async def test_the_embedded_demo_database_has_statement_statistics_for_the_workload_tools(embedded_pg) -> None:
    # As on Heroku Postgres, pg_stat_statements is there: pg_top_queries and pg_suggest_indexes answer locally,
    # from the seeded database `demo`, not the cluster's empty `postgres` (test_demo_database.py: what they say).
    settings = PostgresSettings(database_url=None, embedded_data_dir=_data_directory(embedded_pg.admin_url))
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("pg_top_queries", {})
        database = await client.call_tool("pg_query", {"sql": "select current_database() as name"})
    assert not result.is_error, result.content[0].text
    assert "is not installed" not in result.content[0].text
    assert database.structured_content["rows"] == [{"name": DEMO_DATABASE}]
