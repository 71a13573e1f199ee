"""The `MCPServer` both servers start from: tools hold their own client, the lifespan only closes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from mcp.server import MCPServer

__all__ = ["VERSION", "closing_server"]

VERSION = "0.1.0"


def closing_server(name: str, instructions: str, close: Callable[[], Awaitable[None]]) -> MCPServer:
    """A server named `name` that awaits `close()` when it stops."""

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await close()

    return MCPServer(name, version=VERSION, instructions=instructions, lifespan=lifespan)
