"""`pg_schema`: the database's schemas and tables, or one table in detail."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.results import tool_result
from mcp_servers.postgres.checks.user_relations import mib
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["SchemaOverview", "SchemaResult", "TableDetail", "describe", "register", "render_schema"]

MAX_TABLES = 200

# System schemas never describe the user's data.
_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%%' AND n.nspname NOT LIKE 'pg_toast_temp_%%'"

TABLES_SQL = f"""
SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS kind,
       GREATEST(c.reltuples, 0)::bigint AS row_estimate,
       pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'f', 'v') AND {_USER_SCHEMAS}
  AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname
LIMIT %(limit)s
"""

SCHEMAS_SQL = f"""
SELECT n.nspname AS schema, count(c.oid) FILTER (WHERE c.relkind IN ('r','p')) AS tables,
       coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relkind IN ('r','p','m')), 0)::bigint AS total_bytes
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE {_USER_SCHEMAS}
GROUP BY n.nspname ORDER BY n.nspname
"""

RESOLVE_SQL = """
SELECT c.oid, n.nspname AS schema, c.relname AS table
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','m','f','v') AND c.relname = %(table)s
  AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
ORDER BY (n.nspname = 'public') DESC, n.nspname
"""

COLUMNS_SQL = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

INDEXES_SQL = """
SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisunique AS unique,
       i.indisprimary AS primary, i.indisvalid AS valid, pg_relation_size(i.indexrelid) AS bytes
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = %(oid)s ORDER BY ic.relname
"""

CONSTRAINTS_SQL = """
SELECT conname AS name, contype::text AS type, pg_get_constraintdef(oid) AS definition,
       convalidated AS validated, confrelid::regclass::text AS references
FROM pg_constraint WHERE conrelid = %(oid)s ORDER BY contype, conname
"""

SIZE_SQL = """
SELECT GREATEST(c.reltuples, 0)::bigint AS row_estimate, pg_table_size(c.oid) AS table_bytes,
       pg_indexes_size(c.oid) AS index_bytes, pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class c WHERE c.oid = %(oid)s
"""


class TableSummary(BaseModel):
    schema_: str = Field(alias="schema", serialization_alias="schema")
    table: str
    kind: str = Field(description="r table, p partitioned, m materialized view, f foreign, v view")
    row_estimate: int
    total_bytes: int


class SchemaSummary(BaseModel):
    schema_: str = Field(alias="schema", serialization_alias="schema")
    tables: int
    total_bytes: int


class SchemaOverview(BaseModel):
    schemas: list[SchemaSummary]
    tables: list[TableSummary]
    tables_truncated: bool


class Column(BaseModel):
    name: str
    type: str
    not_null: bool
    default: str | None


class IndexInfo(BaseModel):
    name: str
    definition: str
    unique: bool
    primary: bool
    valid: bool
    bytes: int


class ConstraintInfo(BaseModel):
    name: str
    type: str = Field(description="p primary key, f foreign key, u unique, c check, x exclusion, n not-null")
    definition: str
    validated: bool
    references: str | None


class TableDetail(BaseModel):
    schema_: str = Field(alias="schema", serialization_alias="schema")
    table: str
    row_estimate: int
    table_bytes: int
    index_bytes: int
    total_bytes: int
    columns: list[Column]
    indexes: list[IndexInfo]
    constraints: list[ConstraintInfo]


class SchemaResult(BaseModel):
    """Either an overview of every user schema, or the detail of one table."""

    overview: SchemaOverview | None = None
    table: TableDetail | None = None


def _no_dash_refs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        if row.get("references") == "-":
            row["references"] = None
    return rows


async def describe(db: Database, table: str | None, schema: str | None) -> SchemaResult:
    if table is None:
        schemas = await db.fetch(SCHEMAS_SQL)
        tables = await db.fetch(TABLES_SQL, {"schema": schema, "limit": MAX_TABLES + 1})
        return SchemaResult(
            overview=SchemaOverview(
                schemas=[SchemaSummary(**r) for r in schemas],
                tables=[TableSummary(**r) for r in tables[:MAX_TABLES]],
                tables_truncated=len(tables) > MAX_TABLES,
            )
        )
    if "." in table and schema is None:
        schema, table = table.split(".", 1)
    found = await db.fetch(RESOLVE_SQL, {"table": table, "schema": schema})
    if not found:
        where = f" in schema {schema}" if schema else ""
        raise ToolError(f"table {table!r} not found{where}; call pg_schema without a table to list them")
    oid = found[0]["oid"]
    size = (await db.fetch(SIZE_SQL, {"oid": oid}))[0]
    return SchemaResult(
        table=TableDetail(
            schema=found[0]["schema"],
            table=found[0]["table"],
            **size,
            columns=[Column(**r) for r in await db.fetch(COLUMNS_SQL, {"oid": oid})],
            indexes=[IndexInfo(**r) for r in await db.fetch(INDEXES_SQL, {"oid": oid})],
            constraints=[ConstraintInfo(**r) for r in _no_dash_refs(await db.fetch(CONSTRAINTS_SQL, {"oid": oid}))],
        )
    )


_KINDS = {"r": "table", "p": "partitioned", "m": "matview", "f": "foreign", "v": "view"}


def _render_overview(o: SchemaOverview) -> list[str]:
    lines = ["schemas: " + ", ".join(f"{s.schema_} ({s.tables} tables, {mib(s.total_bytes)})" for s in o.schemas)]
    lines.append(f"{len(o.tables)} relations, largest first (schema.name kind ~rows size):")
    lines += [f"{t.schema_}.{t.table} {_KINDS.get(t.kind, t.kind)} ~{t.row_estimate} {mib(t.total_bytes)}" for t in o.tables]
    if o.tables_truncated:
        lines.append(f"(only the {MAX_TABLES} largest are listed; pass schema= to see the rest)")
    return lines


def _render_table(t: TableDetail) -> list[str]:
    lines = [f"{t.schema_}.{t.table}: ~{t.row_estimate} rows, {mib(t.total_bytes)} "
             f"(table {mib(t.table_bytes)}, indexes {mib(t.index_bytes)})", "columns:"]
    lines += [f"  {c.name} {c.type}{' not null' if c.not_null else ''}{f' default {c.default}' if c.default else ''}"
              for c in t.columns]
    if t.indexes:
        lines.append("indexes:")
        lines += [f"  {i.definition} ({mib(i.bytes)}{'' if i.valid else ', INVALID'})" for i in t.indexes]
    if t.constraints:
        lines.append("constraints:")
        lines += [f"  {c.name}: {c.definition}{'' if c.validated else ' (NOT VALID)'}" for c in t.constraints]
    return lines


def render_schema(result: SchemaResult) -> str:
    """The overview as one line per relation, or the table's columns, indexes and constraints."""
    return "\n".join(_render_overview(result.overview) if result.overview else _render_table(result.table) if result.table else [])


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(server, "Describe the schema", idempotent=True)
    async def pg_schema(
        table: Annotated[
            str | None,
            Field(description="A table name (optionally schema.table) for its columns, indexes and constraints; omit for an overview."),
        ] = None,
        schema: Annotated[str | None, Field(description="Limit to this schema (default: all user schemas).")] = None,
    ) -> Annotated[CallToolResult, SchemaResult]:
        """List user schemas and tables with sizes and row estimates, or describe one table in detail
        (columns, indexes with validity and size, constraints and foreign keys). Use it before writing SQL."""
        result = await describe(db, table, schema)
        return tool_result(result, render_schema(result))
