"""A tool's first call opens exactly one connection to the database.

On Heroku every tool call runs in a fresh one-off dyno, so each extra connection is one more TLS
handshake and one more connection slot taken on the user's production database. The count comes from
the server itself: `pg_stat_database.sessions` (PostgreSQL 14+) of a database only this test uses.
"""

from __future__ import annotations

import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from mcp_servers.postgres.db import Database
from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import APPLICATION_NAME, PostgresSettings
from tests.postgres.backend_sessions import sessions_once_idle

pytestmark = pytest.mark.anyio


async def test_one_tool_call_over_stdio_opens_one_connection(db_url: str) -> None:
    before = sessions_once_idle(db_url)
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.postgres"],
                                   env={"DATABASE_URL": db_url})
    with anyio.fail_after(60):
        async with Client(stdio_client(params)) as client:
            result = await client.call_tool("pg_schema", {})
    assert not result.is_error, result.content[0].text
    assert sessions_once_idle(db_url) - before == 1


async def test_later_calls_in_the_same_process_reuse_that_connection(db_url: str) -> None:
    before = sessions_once_idle(db_url)
    async with Client(build_server(PostgresSettings(database_url=db_url))) as client:
        for _ in range(3):
            assert not (await client.call_tool("pg_schema", {})).is_error
    assert sessions_once_idle(db_url) - before == 1


async def test_the_first_connection_gets_the_same_read_only_time_boxed_session_as_every_pooled_one(db_url: str) -> None:
    db = Database(PostgresSettings(database_url=db_url, statement_timeout_ms=4321))
    try:
        rows = await db.fetch("SELECT current_setting('statement_timeout') AS statement_timeout,"
                              " current_setting('default_transaction_read_only') AS read_only,"
                              " current_setting('application_name') AS application_name")
    finally:
        await db.close()
    assert rows == [{"statement_timeout": "4321ms", "read_only": "on", "application_name": APPLICATION_NAME}]
