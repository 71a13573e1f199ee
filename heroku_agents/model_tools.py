"""A tool as the model sees it (`ToolSpec`), and one bound to what runs it (`BoundTool`).

Shared by the local endpoint (backends, agent loop, `/v1/chat/completions`) and the driver's chat mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from heroku_agents.models import Tool

__all__ = ["NO_ARGUMENTS", "BoundTool", "Runner", "ToolSpec"]

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}  # offered when a server lists no input schema

Runner = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]  # arguments -> a CallToolResult as JSON


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it; `name` is the stream name (`process_type/tool` or the built-in's name)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    annotations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BoundTool:
    """A tool a request offers: what the model sees, the request's `tools` entry (limits), and its runner."""

    spec: ToolSpec
    tool: Tool
    run: Runner

    @property
    def max_calls(self) -> int:
        return self.tool.max_calls
