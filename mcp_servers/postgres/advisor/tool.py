"""`pg_suggest_indexes`: the advisor as an MCP tool."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_servers.common.results import tool_result
from mcp_servers.postgres.advisor.advise import DEFAULT_TOP, MAX_TOP, suggest_indexes
from mcp_servers.postgres.advisor.models import IndexAdvice, render_advice
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["register"]


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @server.tool(
        title="Suggest indexes",
        annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False),
    )
    async def pg_suggest_indexes(
        sql: Annotated[str | None, Field(description="One SELECT to advise on ($1 parameters allowed); omit to analyse the top statements of pg_stat_statements.")] = None,
        top: Annotated[int, Field(description="Workload statements to analyse, by total time.", ge=1, le=MAX_TOP)] = DEFAULT_TOP,
    ) -> Annotated[CallToolResult, IndexAdvice]:
        """Find missing indexes for the workload (or one query). Each suggestion has the CREATE INDEX
        CONCURRENTLY statement, the statements it helps (calls, mean ms, share of time), planner cost before
        and after, size, table write rate, and `verified` (HypoPG what-if plan) or `heuristic`."""
        advice = await suggest_indexes(db, settings, sql, top)
        return tool_result(advice, render_advice(advice))
