"""The tools of mcp-appdiag, one module per area; each module has `register(server, api, settings)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from mcp_servers.app_diagnostics.platform_api import PlatformAPI
    from mcp_servers.app_diagnostics.settings import AppDiagSettings

__all__ = ["register_all"]


def register_all(server: MCPServer, api: PlatformAPI, settings: AppDiagSettings) -> None:
    from mcp_servers.app_diagnostics.tools import logs, overview, probe, releases

    for module in (overview, releases, logs, probe):
        module.register(server, api, settings)
