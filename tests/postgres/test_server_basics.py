import sys

import psycopg
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio


async def test_pg_schema_describes_a_table_with_its_constraints(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE owners (id serial PRIMARY KEY)")
        conn.execute("CREATE TABLE pets (id serial PRIMARY KEY, owner_id int REFERENCES owners(id), name text NOT NULL)")
    async with Client(build_server(PostgresSettings(database_url=fresh_db))) as client:
        result = await client.call_tool("pg_schema", {"table": "pets"})
    assert not result.is_error
    table = result.structured_content["table"]
    assert [c["name"] for c in table["columns"]] == ["id", "owner_id", "name"]
    assert {"p", "f"} <= {c["type"] for c in table["constraints"]}  # PG 18 adds "n" (NOT NULL) rows
    fk = next(c for c in table["constraints"] if c["type"] == "f")
    assert fk["references"] == "owners"
    text = result.content[0].text.splitlines()
    assert text[0].startswith("public.pets: ~0 rows, ")
    assert text[1:3] == ["columns:", "  id integer not null default nextval('pets_id_seq'::regclass)"]
    assert "  owner_id integer" in text and "  name text not null" in text
    assert any(line.startswith("  pets_owner_id_fkey: FOREIGN KEY (owner_id) REFERENCES owners(id)") for line in text)


async def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    settings = PostgresSettings(database_url="postgresql://app:s3cr3t-pw@127.0.0.1:1/db", connect_timeout_s=2)
    async with Client(build_server(settings)) as client:
        tools = await client.list_tools()
        result = await client.call_tool("pg_schema", {})
    assert tools.tools, "tools are listed with the database down"
    assert result.is_error
    text = result.content[0].text
    assert "cannot reach database at host 127.0.0.1:1" in text
    assert "s3cr3t-pw" not in text


async def test_unreachable_database_on_a_dyno_does_not_suggest_the_embedded_fallback() -> None:
    # A dyno never starts an embedded database, so "unset DATABASE_URL" would be advice that cannot work there.
    url = "postgresql://app:s3cr3t-pw@127.0.0.1:1/db"
    for dyno, offered in ((None, True), ("run.1", False)):
        settings = PostgresSettings(database_url=url, connect_timeout_s=2, dyno=dyno)
        async with Client(build_server(settings)) as client:
            text = (await client.call_tool("pg_schema", {})).content[0].text
        assert ("embedded" in text) is offered, text


async def test_stdio_server_answers_a_2025_handshake_client_and_the_default_client(fresh_db: str) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.postgres"], env={"DATABASE_URL": fresh_db}
    )
    for mode, expected in (("legacy", "2025-11-25"), ("auto", "2026-07-28")):
        async with Client(stdio_client(params), mode=mode) as client:
            assert client.protocol_version == expected
            result = await client.call_tool("pg_schema", {})
            assert not result.is_error
            assert result.structured_content["overview"]["schemas"][0]["schema"] == "public"
