"""The tools of mcp-postgres, one module per area; each module has `register(server, db, settings)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from mcp_servers.postgres.db import Database
    from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["register_all"]


def register_all(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    from mcp_servers.postgres.tools import activity, diagnose, query, schema, storage

    for module in (diagnose, schema, query, storage, activity):
        module.register(server, db, settings)
