"""`pg_suggest_indexes`: the advisor as an MCP tool."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.results import tool_result
from mcp_servers.postgres.advisor.models import DEFAULT_TOP, MAX_TOP, IndexAdvice, render_advice
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["register"]

DESCRIPTION = (
    "Missing indexes for the workload's top statements or one query, each with CREATE INDEX CONCURRENTLY, "
    "statements helped, cost before/after, size, write rate; verified (HypoPG) or heuristic."
)


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(server, "Suggest indexes", description=DESCRIPTION)
    async def pg_suggest_indexes(
        sql: Annotated[str | None, Field(description=(
            "One SELECT, UPDATE or DELETE ($1 ok; a write is planned as its read, never run); "
            "omit for the pg_stat_statements workload."))] = None,
        top: Annotated[int, Field(description="Workload statements, by total time.", ge=1, le=MAX_TOP)] = DEFAULT_TOP,
    ) -> Annotated[CallToolResult, IndexAdvice]:
        # The pipeline (parser, planner, HypoPG) loads on first use: every one-off dyno pays its import otherwise.
        from mcp_servers.postgres.advisor.advise import suggest_indexes

        advice = await suggest_indexes(db, settings, sql, top)
        return tool_result(advice, render_advice(advice))
