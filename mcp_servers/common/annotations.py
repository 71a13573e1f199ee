"""`read_only_tool`: how every tool of both servers registers, since none of them changes anything."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.types import ToolAnnotations

if TYPE_CHECKING:
    from mcp.server import MCPServer

__all__ = ["read_only_tool"]


def read_only_tool(
    server: MCPServer, title: str, *, open_world: bool = False, idempotent: bool | None = None,
    description: str | None = None, **hints: Any,
) -> Any:
    """`server.tool(...)` with read-only annotations; `open_world`: it reaches systems beyond this app's own."""
    annotations = ToolAnnotations(read_only_hint=True, open_world_hint=open_world, idempotent_hint=idempotent, **hints)
    return server.tool(title=title, description=description, annotations=annotations)
