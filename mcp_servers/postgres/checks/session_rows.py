"""How the session and lock checks pick their rows (which backends count) and word them (counts, query text)."""

from __future__ import annotations

from typing import Any

from mcp_servers.common.redact import redact_text, truncate
from mcp_servers.postgres.settings import APPLICATION_NAME

__all__ = ["CLIENT", "HERE", "NOT_US", "SESSION", "many", "query_text", "seconds_since", "text_rows"]

# Our own sessions: this one, and the pool's others (same application_name). A constant, not input.
NOT_US = f"a.pid <> pg_backend_pid() AND a.application_name <> '{APPLICATION_NAME.replace(chr(39), chr(39) * 2)}'"
CLIENT = "a.backend_type = 'client backend'"
HERE = "a.datname = current_database()"
# Who a session is, as every session check lists it (`a` is pg_stat_activity).
SESSION = "a.pid, a.usename AS username, a.application_name AS application, a.state"


def seconds_since(start: str) -> str:
    """SQL: the seconds from `start` (a timestamptz expression of ours) to now, to a tenth."""
    return f"round(extract(epoch FROM now() - {start})::numeric, 1)::float8"


def many(count: int, noun: str, plural: str | None = None) -> str:
    """`1 session`, `3 sessions`."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def query_text(text: Any) -> str | None:
    """SQL text as it may leave the server: on one line, secrets masked, at most 300 characters."""
    return truncate(redact_text(" ".join(str(text).split())), 300) if text is not None else None


def text_rows(rows: list[dict[str, Any]], *text_columns: str) -> list[dict[str, Any]]:
    return [{k: (query_text(v) if k in text_columns else v) for k, v in r.items()} for r in rows]

