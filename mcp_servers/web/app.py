"""The `web` ASGI app: each MCP server mounted at `/<name>/mcp` (streamable HTTP, stateless), plus `/health`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from mcp_servers.web.guard import Guard
from mcp_servers.web.settings import WebSettings

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["SERVER_BUILDERS", "build_servers", "create_app"]

logger = logging.getLogger(__name__)

# Mount name -> "module:function" building that server from its own environment variables.
SERVER_BUILDERS: dict[str, str] = {
    "postgres": "mcp_servers.postgres.server:build_server",
    "appdiag": "mcp_servers.app_diagnostics.server:build_server",
}


def build_servers(names: list[str]) -> dict[str, MCPServer]:
    """Build the named servers, each reading its own settings from the environment."""
    import importlib

    servers: dict[str, MCPServer] = {}
    for name in names:
        module_name, func = SERVER_BUILDERS[name].split(":")
        servers[name] = getattr(importlib.import_module(module_name), func)()
    return servers


def create_app(settings: WebSettings, servers: Mapping[str, MCPServer]) -> ASGIApp:
    """Serve each server at `/<name>/mcp` behind the `Guard`.

    Stateless: no `Mcp-Session-Id` for 2025-era clients (2026-07-28 clients are sessionless anyway), so
    any dyno can answer any request. The Guard does the Host/Origin checks for every mount at once, so the
    SDK's own check (which only knows loopback unless told) is off here rather than configured twice.
    A mounted app's lifespan never runs: ours runs every server's session manager (which also enters
    that server's own lifespan, e.g. closing the database pool on shutdown).
    """
    mounts = []
    for name, server in servers.items():
        sub_app = server.streamable_http_app(
            streamable_http_path="/mcp",
            stateless_http=True,
            max_request_body_size=settings.max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        mounts.append(Mount(f"/{name}", app=sub_app))

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "servers": sorted(servers)})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for server in servers.values():
                await stack.enter_async_context(server.session_manager.run())
            logger.info("serving %s", ", ".join(f"/{name}/mcp" for name in servers))
            yield

    app = Starlette(routes=[Route("/health", health, methods=["GET"]), *mounts], lifespan=lifespan)
    return Guard(app, settings)
