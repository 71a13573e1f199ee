"""The Heroku app diagnostics MCP server: what is wrong with my app, read from the Platform API and logs."""

from __future__ import annotations

from mcp.server import MCPServer

from mcp_servers.app_diagnostics.platform_api import PlatformAPI
from mcp_servers.app_diagnostics.settings import AppDiagSettings
from mcp_servers.common.schemas import compact_tool_schemas
from mcp_servers.common.server_factory import closing_server

__all__ = ["SERVER_NAME", "build_server"]

SERVER_NAME = "mcp-appdiag"
INSTRUCTIONS = (
    "Read-only diagnostics for a Heroku app (argument `app`, default HEROKU_APP_NAME). Start with "
    "app_overview (dynos vs formation, releases, add-ons, features, flags); use recent_releases to "
    "see what changed (config-var names only, never values); analyze_logs for error codes, latency and "
    "crashes in recent logs (or pasted log text), explain_error_code for any H/R/L code, http_probe to "
    "see the app from outside. Nothing here changes the app."
)


def build_server(settings: AppDiagSettings | None = None, *, api: PlatformAPI | None = None) -> MCPServer:
    """Build the server; nothing touches the network until a tool needs the Platform API.

    `api` is a seam for tests (a `PlatformAPI` over an in-process fake); by default one is made from
    `settings` and closed when the server stops.
    """
    settings = settings or AppDiagSettings.from_env()
    api = api or PlatformAPI(settings)

    server = closing_server(SERVER_NAME, INSTRUCTIONS, api.aclose)
    from mcp_servers.app_diagnostics.tools import register_all

    register_all(server, api, settings)
    compact_tool_schemas(server, full_output=settings.full_output_schemas)
    return server
