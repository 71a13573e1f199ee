"""HypoPG inside our read-only session: hypothetical indexes that only the planner of this backend sees.

HypoPG keeps its indexes in backend memory, outside any transaction: a ROLLBACK does not remove them.
So every use goes through `hypothetical_session`, which clears HypoPG's state before and after, and
closes the connection (ending the backend, and its indexes with it) if it cannot. The functions are
called by schema-qualified name from this module only; `pg_query`'s guard keeps refusing them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.postgres.advisor.catalog import qualified_ref, quote_ident

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "MAX_HYPOTHETICAL", "HypoIndex", "HypoSession", "IndexSpec", "enable_command", "hypopg_schema",
    "hypothetical_indexes", "hypothetical_session", "parse_index_spec",
]

MAX_HYPOTHETICAL = 10  # per pg_explain call: each one is planned against, so they add planning time
_METHODS = frozenset({"btree", "hash", "brin", "gist", "gin", "spgist"})
EXTENSION_SQL = "SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'"
AVAILABLE_SQL = "SELECT count(*) AS n FROM pg_catalog.pg_available_extensions WHERE name = 'hypopg'"


@dataclass(frozen=True)
class IndexSpec:
    schema: str | None
    table: str
    columns: tuple[str, ...]
    method: str = "btree"

    def create_sql(self, *, concurrently: bool = False) -> str:
        """`CREATE INDEX [CONCURRENTLY] ON "schema"."table" USING method ("col", ...)`, every identifier quoted."""
        cols = ", ".join(quote_ident(c) for c in self.columns)
        how = "CONCURRENTLY " if concurrently else ""
        return f"CREATE INDEX {how}ON {qualified_ref(self.schema, self.table)} USING {self.method} ({cols})"


@dataclass(frozen=True)
class HypoIndex:
    oid: int
    name: str  # as plans show it, e.g. "<13556>btree_orders_customer_id"
    size_bytes: int | None


def parse_index_spec(text: str) -> IndexSpec:
    """`orders(customer_id, created_at)`, `public.orders USING brin (ts)` or a plain `CREATE INDEX ... ON ...`.

    Only plain columns are accepted (no expressions, WHERE or INCLUDE): the index is rebuilt from the
    parsed names, so nothing else of the text reaches the server.

    Raises:
        ToolError: the text is not one such index definition.
    """
    import pglast
    from pglast import ast

    example = "write it as table(column, ...), e.g. orders(customer_id, created_at), or a CREATE INDEX statement"
    body = text.strip().rstrip(";")
    if not body.lower().startswith("create"):
        body = f"CREATE INDEX ON {body}"
    try:
        stmts = pglast.parse_sql(body)
    except pglast.parser.ParseError:
        raise ToolError(f"hypothetical index {text[:200]!r} is not an index definition; {example}") from None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    if not isinstance(stmt, ast.IndexStmt):
        raise ToolError(f"hypothetical index {text[:200]!r} is not one CREATE INDEX; {example}")
    if stmt.whereClause is not None or stmt.indexIncludingParams:
        raise ToolError(f"hypothetical index {text[:200]!r}: WHERE and INCLUDE are not supported here; {example}")
    columns = tuple(p.name for p in stmt.indexParams or () if isinstance(p, ast.IndexElem))
    if not columns or any(c is None for c in columns) or len(columns) != len(stmt.indexParams):
        raise ToolError(f"hypothetical index {text[:200]!r}: only plain column names are supported; {example}")
    method = (stmt.accessMethod or "btree").lower()
    if method not in _METHODS:
        raise ToolError(f"hypothetical index {text[:200]!r}: unknown method {method!r}; use one of {', '.join(sorted(_METHODS))}")
    return IndexSpec(stmt.relation.schemaname, stmt.relation.relname, columns, method)


async def hypopg_schema(conn: psycopg.AsyncConnection[dict[str, Any]]) -> str | None:
    row = await (await conn.execute(EXTENSION_SQL)).fetchone()
    return row["schema"] if row else None


async def enable_command(conn: psycopg.AsyncConnection[dict[str, Any]]) -> str:
    """What would enable verification here: the CREATE EXTENSION, or first the package when the server lacks it."""
    row = await (await conn.execute(AVAILABLE_SQL)).fetchone()
    if row and row["n"]:
        return "CREATE EXTENSION hypopg;  -- as the database owner"
    major = conn.info.server_version // 10000
    return (f"install HypoPG on the database server (Debian/Ubuntu: apt-get install postgresql-{major}-hypopg), "
            "then CREATE EXTENSION hypopg;")


class HypoSession:
    """Creates and drops hypothetical indexes on one connection (inside its read-only transaction)."""

    def __init__(self, conn: psycopg.AsyncConnection[dict[str, Any]], schema: str) -> None:
        self.conn = conn
        self._fn = quote_ident(schema) + "."  # the extension's own schema, never a search_path look-alike

    async def create(self, spec: IndexSpec) -> HypoIndex:
        cur = await self.conn.execute(
            f"SELECT h.indexrelid::int8 AS oid, h.indexname AS name, {self._fn}hypopg_relation_size(h.indexrelid)::int8 AS size"
            f" FROM {self._fn}hypopg_create_index(%s) h",
            (spec.create_sql(),),
        )
        row = await cur.fetchone()
        return HypoIndex(oid=row["oid"], name=row["name"], size_bytes=row["size"])

    async def drop(self, index: HypoIndex) -> None:
        await self.conn.execute(f"SELECT {self._fn}hypopg_drop_index(%s::oid)", (index.oid,))

    async def reset(self) -> None:
        await self.conn.execute(f"SELECT {self._fn}hypopg_reset()")


@asynccontextmanager
async def hypothetical_session(conn: psycopg.AsyncConnection[dict[str, Any]], schema: str) -> AsyncIterator[HypoSession]:
    """A HypoSession that leaves nothing behind: HypoPG's state is cleared before and after.

    A savepoint guards the cleanup, so it also runs after a failed statement (statement_timeout);
    if even that fails, the connection is closed and the pool replaces it.
    """
    import psycopg

    session = HypoSession(conn, schema)
    await conn.execute("SAVEPOINT mcp_hypopg")
    await session.reset()
    try:
        yield session
    finally:
        try:
            await conn.execute("ROLLBACK TO SAVEPOINT mcp_hypopg")
            await session.reset()
        except psycopg.Error:
            await conn.close()


@asynccontextmanager
async def hypothetical_indexes(conn: psycopg.AsyncConnection[dict[str, Any]], specs: list[str] | None) -> AsyncIterator[list[HypoIndex]]:
    """For pg_explain: the given indexes exist for this connection's planner until the block ends.

    Raises:
        ToolError: HypoPG is not installed, a definition is malformed, or names an unknown table or column.
    """
    if not specs:
        yield []
        return
    import psycopg

    if len(specs) > MAX_HYPOTHETICAL:
        raise ToolError(f"at most {MAX_HYPOTHETICAL} hypothetical indexes per call")
    parsed = [parse_index_spec(s) for s in specs]
    schema = await hypopg_schema(conn)
    if schema is None:
        raise ToolError(f"hypothetical_indexes need the HypoPG extension, which this database lacks: {await enable_command(conn)}")
    async with hypothetical_session(conn, schema) as session:
        created = []
        for spec in parsed:
            try:
                created.append(await session.create(spec))
            except psycopg.Error as exc:
                primary = (exc.diag.message_primary or type(exc).__name__)[:300]
                raise ToolError(f"cannot create hypothetical index {spec.create_sql()}: {primary}") from None
        yield created
