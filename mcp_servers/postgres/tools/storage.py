"""`pg_table_stats` and `pg_index_stats`: per-table and per-index storage statistics, worst first.

Where a kind matches a health check, the tool runs that check's SQL (one place per query) with
listing thresholds, so the numbers here and in pg_diagnose agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.redact import redact_text
from mcp_servers.common.results import tool_result
from mcp_servers.postgres.checks import indexes as ix
from mcp_servers.postgres.checks import tables as tb
from mcp_servers.postgres.checks.base import gather_facts
from mcp_servers.postgres.checks.bloat import INDEX_BLOAT_SQL, TABLE_BLOAT_SQL, BloatLimits
from mcp_servers.postgres.checks.user_relations import USER_SCHEMA, mib, stats_age_text
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["IndexKind", "StorageStats", "TableKind", "index_stats", "register", "table_stats"]

TableKind = Literal["sizes", "bloat", "vacuum", "seq_scans", "index_usage", "records_rank", "cache_hit"]
IndexKind = Literal["unused", "duplicate", "invalid", "mostly_null", "sizes", "missing_fk"]

TABLE_SIZES_SQL = f"""
SELECT n.nspname AS schema, c.relname AS table, greatest(c.reltuples, 0)::bigint AS row_estimate,
       pg_table_size(c.oid) AS table_bytes, pg_indexes_size(c.oid) AS index_bytes,
       pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND {USER_SCHEMA}
"""

SEQ_SCANS_SQL = """
SELECT schemaname AS schema, relname AS table, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan,
       n_live_tup AS live_rows
FROM pg_stat_user_tables
"""

CACHE_HIT_SQL = """
SELECT schemaname AS schema, relname AS table, heap_blks_hit, heap_blks_read,
       round(heap_blks_hit::numeric / nullif(heap_blks_hit + heap_blks_read, 0), 4)::float8 AS table_hit_rate,
       coalesce(idx_blks_hit, 0) AS idx_blks_hit, coalesce(idx_blks_read, 0) AS idx_blks_read,
       round(idx_blks_hit::numeric / nullif(idx_blks_hit + idx_blks_read, 0), 4)::float8 AS index_hit_rate
FROM pg_statio_user_tables
"""

INDEX_SIZES_SQL = """
SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, pg_relation_size(s.indexrelid) AS index_bytes,
       s.idx_scan AS index_scans, i.indisunique AS is_unique, i.indisvalid AS is_valid
FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
"""

_BLOAT_SQL = f"SELECT * FROM ({TABLE_BLOAT_SQL}) t UNION ALL SELECT * FROM ({INDEX_BLOAT_SQL}) i"

# kind -> (SQL, ORDER BY of the listing, binds). ORDER BY texts are ours, never user input.
_TABLE_KINDS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "sizes": (TABLE_SIZES_SQL, "total_bytes DESC", {}),
    "bloat": (_BLOAT_SQL, "waste_bytes DESC, bloat_factor DESC", BloatLimits(yellow_waste_bytes=0).model_dump()),
    "vacuum": (tb.vacuum_base_sql, "dead_rows DESC, live_rows DESC", {}),
    "seq_scans": (SEQ_SCANS_SQL, "seq_scan DESC, seq_tup_read DESC", {}),
    "index_usage": (tb.INDEX_USAGE_BASE_SQL, "live_rows DESC", {}),
    "records_rank": (SEQ_SCANS_SQL, "live_rows DESC", {}),
    "cache_hit": (CACHE_HIT_SQL, "heap_blks_read + idx_blks_read DESC", {}),
}
_INDEX_KINDS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "unused": (ix.UNUSED_INDEXES_SQL, "index_bytes DESC", ix.UNUSED_INDEXES.params()),
    "duplicate": (ix.DUPLICATE_INDEXES_SQL, "index_bytes DESC", {}),
    "invalid": (ix.INVALID_INDEXES_SQL, "index_bytes DESC", {}),
    "mostly_null": (ix.NULL_INDEXES_SQL, "expected_saving_bytes DESC", ix.NullIndexLimits(min_index_bytes=0).model_dump()),
    "sizes": (INDEX_SIZES_SQL, "index_bytes DESC", {}),
    "missing_fk": (ix.MISSING_FK_INDEXES_SQL, "row_estimate DESC", ix.MissingFkIndexLimits(min_table_rows=0).model_dump()),
}
_COLUMNS = {  # rows keep every column; the text rendering shows these
    "unused": ["class", "schema", "table", "index", "index_scans", "index_scan_pct", "table_scans", "index_bytes", "trusted"],
    "duplicate": ["schema", "table", "index", "covered_by", "index_bytes", "definition"],
    "vacuum": ["schema", "table", "live_rows", "dead_rows", "autovacuum_threshold", "expect_autovacuum",
               "autovacuum_enabled", "last_vacuum", "last_autovacuum", "last_autoanalyze"],
}


class StorageStats(BaseModel):
    """Rows worst or largest first, capped at `limit`."""

    kind: str
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="More rows than `limit` matched.")
    totals: dict[str, float | int | None] = Field(default_factory=dict, description="Database-wide figures (cache_hit).")
    note: str | None = Field(default=None, description="How far to trust the numbers.")


async def _fetch(db: Database, sql: str, order: str, binds: dict[str, Any], schema: str | None, limit: int) -> list[dict[str, Any]]:
    import psycopg

    wrapped = (
        f"SELECT * FROM ({sql}) AS q WHERE (%(schema)s::text IS NULL OR q.schema = %(schema)s::text) "
        f'ORDER BY {order}, q.schema, q."table" LIMIT %(limit)s'
    )
    try:
        return await db.fetch(wrapped, {**binds, "schema": schema, "limit": limit + 1})
    except psycopg.errors.InsufficientPrivilege:
        raise ToolError("permission denied reading statistics; GRANT pg_read_all_stats TO the server's role") from None
    except psycopg.errors.QueryCanceled:
        raise ToolError("the statistics query hit statement_timeout (PG_STATEMENT_TIMEOUT_MS); pass a schema or a smaller limit") from None
    except psycopg.Error as exc:
        if exc.sqlstate is None or exc.sqlstate.startswith("08"):
            raise db.unavailable(exc) from None
        raise ToolError(f"statistics query failed: {redact_text(str(exc).splitlines()[0])}") from None


async def table_stats(db: Database, kind: str, limit: int, schema: str | None) -> StorageStats:
    sql, order, binds = _TABLE_KINDS[kind]
    if callable(sql):
        sql = sql(await db.version_num())
    rows = await _fetch(db, sql, order, binds, schema, limit)
    result = StorageStats(kind=kind, rows=rows[:limit], truncated=len(rows) > limit)
    if kind == "cache_hit":
        for name, check_sql in (("table_hit_rate", tb.TABLE_HIT_RATE_SQL), ("index_hit_rate", ix.INDEX_HIT_RATE_SQL)):
            [row] = await db.fetch(check_sql)
            blocks = (row["hit"] or 0) + (row["read"] or 0)
            result.totals[name] = round(row["hit"] / blocks, 4) if blocks else None
            result.totals[name.replace("hit_rate", "blocks")] = blocks
    elif kind == "bloat":
        result.note = "estimates from planner statistics (ANALYZE); relations without full statistics are left out"
    return result


async def index_stats(db: Database, kind: str, limit: int, schema: str | None) -> StorageStats:
    sql, order, binds = _INDEX_KINDS[kind]
    rows = await _fetch(db, sql, order, binds, schema, limit)
    result = StorageStats(kind=kind, rows=rows[:limit], truncated=len(rows) > limit)
    if kind == "unused":
        facts = await gather_facts(db)
        result.rows, reason = ix.judge_unused(result.rows, ix.UNUSED_INDEXES.limits, facts)
        result.note = reason or f"statistics are {stats_age_text(facts.stats_age_hours)}"
    return result


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key.endswith("_bytes") and isinstance(value, int):
        return mib(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render(result: StorageStats) -> str:
    """A compact table: a header line, then one `|`-separated line per row."""
    head = f"{result.kind}: {len(result.rows)} row(s)" + (" (more not shown)" if result.truncated else "")
    lines = [head]
    if result.totals:
        lines.append("totals: " + ", ".join(f"{k}={_cell(k, v)}" for k, v in result.totals.items()))
    if result.note:
        lines.append(f"note: {result.note}")
    if result.rows:
        cols = _COLUMNS.get(result.kind) or list(result.rows[0])
        lines.append(" | ".join(cols))
        lines.extend(" | ".join(_cell(c, r.get(c)) for c in cols) for r in result.rows)
    return "\n".join(lines)


_LIMIT = Annotated[int, Field(ge=1, le=500, description="Rows to return.")]
_SCHEMA = Annotated[str | None, Field(description="Only this schema (default: all).")]


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(
        server, "Table statistics", idempotent=True,
        description="Per-table storage figures, worst first (heroku pg:table-size, bloat, vacuum-stats, seq-scans, "
        "index-usage, records-rank, cache-hit). Use after pg_diagnose to see which tables a finding is about.",
    )
    async def pg_table_stats(
        kind: Annotated[TableKind, Field(description=(
            "bloat: estimated waste of tables and btree indexes; vacuum: dead rows vs autovacuum trigger, last "
            "(auto)vacuum/analyze; index_usage: % of scans using an index; records_rank: live rows"))],
        limit: _LIMIT = 20,
        schema: _SCHEMA = None,
    ) -> Annotated[CallToolResult, StorageStats]:
        result = await table_stats(db, kind, limit, schema)
        return tool_result(result, render(result))

    @read_only_tool(
        server, "Index statistics", idempotent=True,
        description="Per-index figures to decide which indexes to drop, rebuild or add (heroku pg:unused-indexes, "
        "index-size, ...): each row names the index, its table, size and the evidence.",
    )
    async def pg_index_stats(
        kind: Annotated[IndexKind, Field(description=(
            "unused: never/seldom used, with statistics age; duplicate: covered by another index; invalid: failed "
            "builds; missing_fk: foreign keys with no index"))],
        limit: _LIMIT = 20,
        schema: _SCHEMA = None,
    ) -> Annotated[CallToolResult, StorageStats]:
        result = await index_stats(db, kind, limit, schema)
        return tool_result(result, render(result))
