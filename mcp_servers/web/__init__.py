"""One HTTP process for all our MCP servers: `/postgres/mcp`, `/appdiag/mcp` and `/health` (`python -m mcp_servers.web`)."""

from mcp_servers.web.app import SERVER_BUILDERS, build_servers, create_app
from mcp_servers.web.guard import Guard
from mcp_servers.web.settings import UnsafeExposureError, WebSettings

__all__ = ["SERVER_BUILDERS", "Guard", "UnsafeExposureError", "WebSettings", "build_servers", "create_app"]
