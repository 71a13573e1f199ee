"""Secrets never come back through an error path: malformed DATABASE_URLs and their libpq errors."""

from __future__ import annotations

import pytest
from mcp import Client

from mcp_servers.postgres.server import build_server
from mcp_servers.postgres.settings import PostgresSettings

pytestmark = pytest.mark.anyio

SECRET = "pw-3f9c1e77"


@pytest.mark.parametrize(
    "url",
    [
        f"postgres//u:{SECRET}@h/db",
        f"postgresql:/u:{SECRET}@h/db",
        f"postgresql//u:{SECRET}@127.0.0.1:1/db",
        SECRET,
        f"host=127.0.0.1 port=1 password={SECRET}",
        f"postgresql://u:{SECRET}@127.0.0.1:1/db",
    ],
)
async def test_a_malformed_or_unreachable_database_url_is_never_echoed(url: str) -> None:
    settings = PostgresSettings(database_url=url, connect_timeout_s=2)
    async with Client(build_server(settings)) as client:
        for tool, args in [("pg_query", {"sql": "SELECT 1"}), ("pg_explain", {"sql": "SELECT 1"})]:
            result = await client.call_tool(tool, args)
            text = result.content[0].text
            assert result.is_error and "DATABASE_URL" in text
            assert SECRET not in text
