"""The marker on the statements mcp-postgres sends itself, so its statistics readers can leave them out.

pg_stat_statements records our catalog reads like the application's own, and a busy agent's can
outrank the workload. It keeps no application_name, and on Heroku we connect as the app's own role,
so the only sign left is the text: every statement sent on our connections ends with `MARKER`.

The marker trails the statement: PostgreSQL 18 drops a leading comment from the text it stores
(14-17 keep it), a trailing one every version keeps. pg_stat_statements stores the text of an
entry's first call, and its query id ignores comments: if the application sends a statement of the
same shape as one of ours, the two share an entry, which is ours when our call came first. Ours are
catalog reads and transaction control, so this hides at most the application's BEGIN/ROLLBACK.

The text an agent gives pg_query is not marked: an agent often runs the application's own
statements, and a marked first call would hide that statement from the workload. pg_explain's
EXPLAIN wrapper is ours and marked (an EXPLAIN has its own entry, never the application's).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

__all__ = ["MARKER", "mark", "marked_cursor", "ours"]

MARKER = "/* mcp-postgres */"


def mark(sql: str) -> str:
    """`sql` with the marker after its last token (a trailing `;` would end the stored text before it)."""
    return f"{sql.rstrip().rstrip(';').rstrip()}\n{MARKER}"


def ours(column: str) -> str:
    """An SQL condition: the statement text in `column` (pg_stat_statements.query) carries the marker."""
    return f"right({column}, {len(MARKER)}) = '{MARKER}'"


@cache
def marked_cursor() -> type[psycopg.AsyncCursor[Any]]:
    """The cursor class of our connections: whatever it executes or streams carries the marker."""
    import psycopg
    from psycopg import sql as pgsql

    def marked(query: Any) -> Any:
        if isinstance(query, str):
            return mark(query)
        if isinstance(query, bytes):
            return mark(query.decode()).encode()
        return pgsql.Composed([query, pgsql.SQL("\n" + MARKER)])

    class MarkedCursor(psycopg.AsyncCursor):  # type: ignore[type-arg]
        async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return await super().execute(marked(query), params, **kwargs)

        async def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
            await super().executemany(marked(query), params_seq, **kwargs)

        def stream(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().stream(marked(query), params, **kwargs)

    return MarkedCursor
