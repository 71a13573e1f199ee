"""`pg_query` and `pg_explain`: the agent's own read-only SQL, safe to point at a primary database.

Four layers, each sufficient on its own for what it covers:
1. `guard.check_sql` parses with PostgreSQL's parser and accepts one plain read (function allowlist),
   then a catalog look-up in the transaction refuses user-defined look-alikes of allowed names.
2. The statement goes over the extended protocol (`cursor.stream` forces Parse/Bind/Execute), so a
   second statement cannot ride along even if the parser were fooled.
3. It runs in `BEGIN READ ONLY` with local statement_timeout / lock_timeout, and is always rolled back.
4. Rows and bytes of the result are capped, and the result says when it was cut.
"""

from __future__ import annotations

import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from mcp_servers.common.annotations import read_only_tool
from mcp_servers.common.results import tool_result
from mcp_servers.postgres.db import Database
from mcp_servers.postgres.guard import LOOKALIKES_SQL, GuardResult, check_sql, lookalike_params, refuse_lookalikes
from mcp_servers.postgres.own_statements import mark
from mcp_servers.postgres.settings import PostgresSettings
from mcp_servers.postgres.sql_errors import tool_errors
from mcp_servers.postgres.tools._plan_summary import seq_scan_relations, summarize
from mcp_servers.postgres.tools._sql_values import json_safe, json_size
from mcp_servers.postgres.tools.query_results import (
    ExplainResult,
    QueryColumn,
    QueryResult,
    render_explain,
    render_query,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["MAX_LIMIT", "MAX_RESULT_BYTES", "ExplainResult", "QueryResult", "register", "run_explain", "run_query"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
MAX_RESULT_BYTES = 64_000  # about 16k tokens: a result must leave room in the model's context
MAX_PLAN_BYTES = 100_000
GENERIC_PLAN_MIN_VERSION = 160000
# Rows libpq hands over per round trip (chunked-rows mode): far fewer wake-ups than one row at a time,
# while a chunk of wide rows still stays small next to the byte cap.
STREAM_CHUNK_ROWS = 50
TEMP_FILE_LIMIT = "100MB"

TABLE_ROWS_SQL = """
SELECT c.relname AS name,
       max(CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_catalog.pg_relation_size(c.oid) / 100 END)::bigint AS rows
FROM pg_catalog.pg_class c WHERE c.relname = ANY(%(names)s::text[]) AND c.relkind IN ('r', 'p', 'm')
GROUP BY c.relname
"""  # never-analyzed tables (reltuples -1) get a rough 100-bytes-per-row estimate


def _is_superuser(conn: psycopg.AsyncConnection[Any]) -> bool:
    """What the server reported at login (the `is_superuser` parameter): no extra round trip."""
    return conn.info.parameter_status("is_superuser") == "on"


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _raw_cursor(conn: psycopg.AsyncConnection[Any]) -> psycopg.AsyncRawCursor[tuple[Any, ...]]:
    """A cursor that sends the text as is: no %-placeholder parsing, $n bound natively, tuples out."""
    import psycopg
    from psycopg.rows import tuple_row

    return psycopg.AsyncRawCursor(conn, row_factory=tuple_row)


async def _describe_unnamed(conn: psycopg.AsyncConnection[Any]) -> list[QueryColumn]:
    """Columns of the statement just streamed, when it returned no row (stream() keeps no description then).

    The extended protocol left it as the unnamed prepared statement; a Describe message reads its columns.
    """
    from psycopg import generators

    conn.pgconn.send_describe_prepared(b"")
    (res,) = await conn.wait(generators.execute(conn.pgconn))
    names = _unique_names([(res.fname(i) or b"?").decode() for i in range(res.nfields)])
    types = [conn.adapters.types.get(res.ftype(i)) for i in range(res.nfields)]
    return [QueryColumn(name=n, type=t.name if t else str(res.ftype(i))) for i, (n, t) in enumerate(zip(names, types, strict=True))]


async def _preflight(conn: psycopg.AsyncConnection[Any], guard: GuardResult, superuser: bool) -> None:
    """The catalog check, in the statement's own transaction (so the catalog cannot change in between).

    JIT is off while it runs: its recursive parts have poor row estimates, and compiling them costs
    seconds for a query that takes milliseconds. The statement then runs with the server's JIT setting.
    """
    cur = await conn.execute("SELECT pg_catalog.current_setting('jit') AS jit, pg_catalog.set_config('jit', 'off', true)")
    jit = (await cur.fetchone())["jit"]
    cur = await conn.execute(LOOKALIKES_SQL, lookalike_params(guard))
    refuse_lookalikes(await cur.fetchall())
    await conn.execute("SELECT pg_catalog.set_config('jit', %s, true)", (jit,))
    if superuser:  # only a superuser may lower temp_file_limit; other roles keep the server's (Heroku sets one)
        await conn.execute("SELECT pg_catalog.set_config('temp_file_limit', %s, true)", (TEMP_FILE_LIMIT,))


async def _read_rows(
    conn: psycopg.AsyncConnection[Any], sql: str, limit: int, max_bytes: int,
) -> tuple[list[QueryColumn], list[dict[str, Any]], str | None]:
    """Columns, rows up to the row and byte caps, and why rows were left out (None when none were)."""
    rows: list[dict[str, Any]] = []
    size, reason = 0, None
    async with _raw_cursor(conn) as cur:
        # stream() always uses the extended protocol: exactly one statement per Parse.
        async with aclosing(cur.stream(sql, size=min(limit + 1, STREAM_CHUNK_ROWS))) as stream:
            names: list[str] = []
            async for record in stream:
                if not names:
                    names = _unique_names([c.name for c in cur.description or ()])
                if len(rows) >= limit:
                    reason = f"more than {limit} rows; raise limit (max {MAX_LIMIT}) or aggregate"
                    break
                row = {n: json_safe(v) for n, v in zip(names, record, strict=True)}
                size += json_size(row)
                if size > max_bytes:
                    reason = f"result exceeded {max_bytes} bytes after {len(rows)} rows; select fewer columns or rows"
                    break
                rows.append(row)
        if not names:
            return await _describe_unnamed(conn), rows, reason
        return [QueryColumn(name=n, type=c.type_display) for n, c in zip(names, cur.description or (), strict=False)], rows, reason


async def run_query(db: Database, sql: str, limit: int = DEFAULT_LIMIT, max_bytes: int = MAX_RESULT_BYTES) -> QueryResult:
    """Check and run one read; raises `ToolError` for refusals and database errors."""
    with tool_errors(db.settings):
        guard = await anyio.to_thread.run_sync(check_sql, sql)  # parsing a long input must not stall the loop
        if guard.has_params:
            raise ToolError("refused: pg_query takes no $1-style parameters; write literal values (pg_explain accepts them)")
        limit = max(1, min(int(limit), MAX_LIMIT))
        started = time.perf_counter()
        async with db.read_only_transaction() as conn:
            superuser = _is_superuser(conn)
            await _preflight(conn, guard, superuser)
            columns, rows, reason = await _read_rows(conn, sql, limit, max_bytes)
    return QueryResult(
        statement=guard.kind, columns=columns, rows=rows, row_count=len(rows), truncated=reason is not None,
        truncated_reason=reason, elapsed_ms=round((time.perf_counter() - started) * 1000, 2), superuser=superuser,
    )


async def _explain_options(
    db: Database, settings: PostgresSettings, guard: GuardResult, analyze: bool, hypothetical: list[str] | None,
) -> list[str]:
    """The EXPLAIN options for this call; raises `ToolError` for combinations that are refused."""
    if guard.kind != "select":
        raise ToolError("refused: pg_explain takes the query itself (SELECT/VALUES/TABLE/WITH), without EXPLAIN or SHOW")
    if analyze and hypothetical:
        raise ToolError("refused: hypothetical indexes exist only for the planner; use analyze=false with them")
    if analyze and not settings.allow_explain_analyze:
        raise ToolError(
            "refused: EXPLAIN ANALYZE runs the query and is off on this server; the operator can enable it with "
            "PG_ALLOW_EXPLAIN_ANALYZE=1. Use analyze=false for the estimated plan."
        )
    options = ["FORMAT JSON"]
    if guard.has_params:
        if analyze:
            raise ToolError("refused: analyze=true needs real values; replace the $n parameters with literals")
        version = await db.version_num()
        if version < GENERIC_PLAN_MIN_VERSION:
            raise ToolError(
                f"refused: $n parameters need EXPLAIN (GENERIC_PLAN), which PostgreSQL {version // 10000} lacks "
                "(added in 16); replace each $n with a literal value or a typed NULL such as NULL::int"
            )
        options.append("GENERIC_PLAN")
    return options + (["ANALYZE", "BUFFERS"] if analyze else [])


async def _read_plan(conn: psycopg.AsyncConnection[Any], text: str, generic: bool) -> list[dict[str, Any]]:
    async with _raw_cursor(conn) as cur:
        if generic:
            # Values bound over the extended protocol would be folded into the plan (a NULL makes
            # `x = $1` "One-Time Filter: false"), so GENERIC_PLAN needs the simple protocol. The
            # composed text passed the guard as exactly one statement, inside the read-only transaction.
            await cur.execute(text)
            return (await cur.fetchone())[0]
        async with aclosing(cur.stream(text)) as stream:
            return [record async for record in stream][0][0]  # noqa: RUF015 (the stream must be drained)


async def run_explain(
    db: Database, settings: PostgresSettings, sql: str, analyze: bool = False, hypothetical_indexes: list[str] | None = None,
) -> ExplainResult:
    """EXPLAIN (FORMAT JSON) one read that passes the guard; raises `ToolError` when refused."""
    from mcp_servers.postgres.advisor import hypothetical_indexes as with_hypothetical

    with tool_errors(db.settings):
        guard = await anyio.to_thread.run_sync(check_sql, sql)  # parsing a long input must not stall the loop
        options = await _explain_options(db, settings, guard, analyze, hypothetical_indexes)
        text = f"EXPLAIN ({', '.join(options)}) {sql}"
        check_sql(text, allow_analyze=analyze)  # the composed statement passes the same guard
        async with db.read_only_transaction() as conn, with_hypothetical(conn, hypothetical_indexes):
            superuser = _is_superuser(conn)
            await _preflight(conn, guard, superuser)
            explained = await _read_plan(conn, mark(text), guard.has_params)  # the EXPLAIN is ours to mark
            rels = seq_scan_relations(explained)
            sizes = await (await conn.execute(TABLE_ROWS_SQL, {"names": rels})).fetchall() if rels else []
    summary = summarize(explained, {r["name"]: r["rows"] for r in sizes})
    too_big = json_size(explained) > MAX_PLAN_BYTES
    return ExplainResult(
        summary=summary, plan=None if too_big else explained, plan_truncated=too_big,
        analyzed=analyze, generic_plan="GENERIC_PLAN" in options, superuser=superuser,
    )


def register(server: MCPServer, db: Database, settings: PostgresSettings) -> None:
    @read_only_tool(server, "Run a read-only SQL query", destructive_hint=False)
    async def pg_query(
        sql: Annotated[str, Field(description="One SELECT (or VALUES, TABLE, WITH ... SELECT, SHOW, EXPLAIN without ANALYZE). Literal values only, no $1 parameters.")],
        limit: Annotated[int, Field(description=f"Maximum rows to return (1-{MAX_LIMIT}).", ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> Annotated[CallToolResult, QueryResult]:
        """Answer your own question with one read-only SQL statement. Use pg_schema first to learn tables and
        columns. Writes, locks, file access, session changes and non-built-in functions are refused with the
        reason; the query runs in a read-only transaction with a timeout and is rolled back. Rows come back
        capped by count and bytes, with whether they were truncated."""
        result = await run_query(db, sql, limit)
        return tool_result(result, render_query(result))

    @read_only_tool(server, "Explain a query plan", destructive_hint=False)
    async def pg_explain(
        sql: Annotated[str, Field(description="The read to explain (SELECT/VALUES/TABLE/WITH), without EXPLAIN; $1 parameters are planned generically on PostgreSQL 16+.")],
        analyze: Annotated[bool, Field(description="Run the query for actual times and rows (only if the server enabled PG_ALLOW_EXPLAIN_ANALYZE).")] = False,
        hypothetical_indexes: Annotated[list[str] | None, Field(description="Plan as if these existed (HypoPG), e.g. orders(a, b).")] = None,
    ) -> Annotated[CallToolResult, ExplainResult]:
        """Show how PostgreSQL would execute a slow query: EXPLAIN (FORMAT JSON) plus a summary of the top plan
        nodes with estimated cost and rows, sequential scans of large tables, and missing-index hints. Use it
        on queries found by the slow-query tools before suggesting an index."""
        result = await run_explain(db, settings, sql, analyze, hypothetical_indexes)
        return tool_result(result, render_explain(result))
