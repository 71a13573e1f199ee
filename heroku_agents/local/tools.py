"""Binding a request's `tools` array to what can run: registered MCP tools and local built-ins.

Binding happens before the stream starts, so an unknown tool is a 400 that names the field.
"""

from __future__ import annotations

from typing import Any

from heroku_agents.local.builtin_tools import LOCAL_BUILTINS, builtin_description, builtin_schema, run_builtin
from heroku_agents.local.executor import ToolExecutor
from heroku_agents.local.registry import Registry
from heroku_agents.model_tools import BoundTool, ToolSpec
from heroku_agents.models import HEROKU_TOOLS, AgentRequest, Tool

__all__ = ["ToolBindingError", "bind_tools"]


class ToolBindingError(ValueError):
    """A tool the request names cannot be offered; `field` is its JSON path (`tools[2].name`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def bind_tools(request: AgentRequest, registry: Registry, executor: ToolExecutor) -> dict[str, BoundTool]:
    """Stream name -> bound tool, in request order (a tool named twice is offered once).

    Raises:
        ToolBindingError: an unknown MCP tool or heroku_tool, a server whose sync failed, or a
            built-in without its required runtime params.
    """
    bound: dict[str, BoundTool] = {}
    for index, tool in enumerate(request.tools or []):
        item = _bind_mcp(index, tool, registry, executor) if tool.type == "mcp" else _bind_builtin(index, tool, registry)
        bound.setdefault(item.spec.name, item)
    return bound


def _bind_mcp(index: int, tool: Tool, registry: Registry, executor: ToolExecutor) -> BoundTool:
    field = f"tools[{index}].name"
    resolved = registry.resolve(tool.name)
    if resolved is None:
        namespace = tool.name.partition("/")[0] if "/" in tool.name else None
        entry = registry.servers.get(namespace) if namespace else None
        if entry is not None and entry.primitives_status == "error":
            raise ToolBindingError(field, f"MCP server {namespace!r} failed to sync its tools: {entry.error}")
        known = sorted(t.namespaced_name for e in registry.servers.values() for t in e.tools)
        failed = [e.process.name for e in registry.servers.values() if e.primitives_status == "error"]
        hint = f"; servers in error: {', '.join(failed)}" if failed else ""
        raise ToolBindingError(
            field, f"no registered MCP server has a tool named {tool.name!r}; registered: {', '.join(known) or 'none'}{hint}"
        )
    entry, registered = resolved
    spec = ToolSpec(
        name=registered.namespaced_name, description=tool.description or registered.description,
        input_schema=registered.input_schema, annotations=registered.annotations,
    )

    async def run(arguments: dict[str, Any]) -> dict[str, Any]:
        return await executor.call(entry, registered.name, arguments, ttl_seconds=tool.ttl_seconds)

    return BoundTool(spec, tool, run)


def _bind_builtin(index: int, tool: Tool, registry: Registry) -> BoundTool:
    catalogue = HEROKU_TOOLS.get(tool.name)
    if catalogue is None:
        raise ToolBindingError(
            f"tools[{index}].name", f"unknown heroku_tool {tool.name!r}; Heroku's built-ins are {', '.join(HEROKU_TOOLS)}"
        )
    if tool.name not in LOCAL_BUILTINS:
        raise ToolBindingError(
            f"tools[{index}].name",
            f"{tool.name!r} is a Heroku built-in the local endpoint does not run; locally available: {', '.join(LOCAL_BUILTINS)}",
        )
    runtime = tool.runtime_params
    for key in catalogue.required_runtime_params:
        if runtime is None or getattr(runtime, key) in (None, ""):
            raise ToolBindingError(f"tools[{index}].runtime_params.{key}", f"{tool.name} requires runtime_params.{key}")
    for key in catalogue.required_tool_params:
        params = runtime.tool_params if runtime else None
        if params is None or not getattr(params, key, None):
            raise ToolBindingError(
                f"tools[{index}].runtime_params.tool_params.{key}", f"{tool.name} requires runtime_params.tool_params.{key}"
            )
    spec = ToolSpec(name=tool.name, description=builtin_description(tool), input_schema=builtin_schema(tool))
    settings = registry.settings

    async def run(arguments: dict[str, Any]) -> dict[str, Any]:
        return await run_builtin(tool, arguments, settings)

    return BoundTool(spec, tool, run)
