"""The one place where guard refusals and PostgreSQL errors become the `ToolError` the model reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.common.redact import redact_text, truncate
from mcp_servers.postgres.guard import SqlRefused

if TYPE_CHECKING:
    import psycopg

    from mcp_servers.postgres.settings import PostgresSettings

__all__ = ["db_error", "tool_errors"]

# What to do about a few SQLSTATEs an agent's query can provoke (the settings fill in the limits).
_ADVICE = {
    "57014": " (statement_timeout is {s.statement_timeout_ms} ms: add a LIMIT or a narrower WHERE)",
    "55P03": " (lock_timeout is {s.lock_timeout_ms} ms: a table is locked by another session)",
    "53400": " (temporary files are capped for agent queries: aggregate or filter before sorting)",
    "42501": " (the database role lacks this privilege)",
}


def db_error(exc: psycopg.Error, settings: PostgresSettings, failed: str = "") -> ToolError:
    """`PostgreSQL error <sqlstate>: <message>` with what to do about it, secrets masked; `failed` goes first."""
    diag = exc.diag
    primary = diag.message_primary or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if exc.sqlstate == "25006":
        msg = f"refused by the database (read-only transaction): {primary}"
    else:
        msg = f"PostgreSQL error {exc.sqlstate or ''}: {primary}".replace(" :", ":")
        msg += _ADVICE.get(exc.sqlstate or "", "").format(s=settings)
    if diag.message_hint:
        msg += f"; hint: {diag.message_hint}"
    msg = f"{failed}: {msg}" if failed else msg
    return ToolError(truncate(redact_text(msg), 600) or msg)


@contextmanager
def tool_errors(settings: PostgresSettings, failed: str = "") -> Iterator[None]:
    """Inside the block, `SqlRefused` and `psycopg.Error` are raised as `ToolError` (other errors pass through)."""
    import psycopg

    try:
        yield
    except SqlRefused as exc:
        raise ToolError(str(exc)) from None
    except psycopg.Error as exc:
        raise db_error(exc, settings, failed) from None
