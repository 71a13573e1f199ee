"""The PostgreSQL checks MCP server: health checks, statistics and safe reads for a Heroku agent."""

from __future__ import annotations

from mcp.server import MCPServer

from mcp_servers.common.schemas import compact_tool_schemas
from mcp_servers.common.server_factory import closing_server
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["SERVER_NAME", "build_server"]

SERVER_NAME = "mcp-postgres"
INSTRUCTIONS = (
    "Read-only diagnostics for one PostgreSQL database (DATABASE_URL). Start with pg_diagnose for a "
    "health report; drill down with the stats tools. Nothing here writes to the database."
)


def build_server(settings: PostgresSettings | None = None) -> MCPServer:
    """Build the server; nothing connects until a tool needs the database."""
    settings = settings or PostgresSettings.from_env()
    db = Database(settings)

    server = closing_server(SERVER_NAME, INSTRUCTIONS, db.close)
    from mcp_servers.postgres.tools import register_all

    register_all(server, db, settings)
    from mcp_servers.postgres.advisor import tool as advisor_tool

    advisor_tool.register(server, db, settings)
    compact_tool_schemas(server, full_output=settings.full_output_schemas)
    from mcp_servers.postgres.database_source import label_embedded_answers, uses_embedded

    if uses_embedded(settings):
        label_embedded_answers(server)
    return server
