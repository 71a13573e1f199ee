"""The client side of Heroku's Agents API, and its local stand-in (`heroku_agents.local`).

Public names are re-exported lazily, so `import heroku_agents` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it
_EXPORTS = {
    **dict.fromkeys(
        [
            "AgentEvent", "AgentRequest", "AssistantMessage", "ChatCompletionChunk", "ChatCompletionEvent",
            "ChatCompletionRequest", "ChatCompletionResponse", "HEROKU_TOOLS", "HerokuToolSpec", "MCPServerRecord",
            "MCPServerTool", "Message", "RuntimeParams", "Tool", "ToolCall", "ToolCompletionEvent", "ToolMessage",
            "ToolParams", "Usage", "parse_event", "to_json", "to_wire",
        ],
        "heroku_agents.models",
    ),
    **dict.fromkeys(["SSEDecoder", "SSEEvent", "aiter_events", "encode_event", "encode_done", "iter_events"],
                    "heroku_agents.sse"),
    **dict.fromkeys(["Procfile", "ProcfileError", "ProcessType", "load_procfile", "parse_procfile"],
                    "heroku_agents.procfile"),
    **dict.fromkeys(["tool_result_content"], "heroku_agents.wire"),
    **dict.fromkeys(["AgentsClient"], "heroku_agents.client"),
    **dict.fromkeys(["AgentConfig", "load_config", "load_configs"], "heroku_agents.configs"),
    **dict.fromkeys(
        ["AgentsError", "AgentsHTTPError", "AuthenticationError", "ConfigError", "RateLimitedError", "StreamInterruptedError"],
        "heroku_agents.errors",
    ),
}

__all__ = [
    "HEROKU_TOOLS", "AgentConfig", "AgentEvent", "AgentRequest", "AgentsClient", "AgentsError", "AgentsHTTPError",
    "AssistantMessage", "AuthenticationError", "ChatCompletionChunk", "ChatCompletionEvent",
    "ChatCompletionRequest", "ChatCompletionResponse", "ConfigError", "HerokuToolSpec", "MCPServerRecord",
    "MCPServerTool", "Message", "ProcessType", "Procfile", "ProcfileError", "RateLimitedError", "RuntimeParams",
    "SSEDecoder", "SSEEvent", "StreamInterruptedError", "Tool", "ToolCall", "ToolCompletionEvent", "ToolMessage",
    "ToolParams", "Usage", "aiter_events", "encode_done", "encode_event", "iter_events", "load_config",
    "load_configs", "load_procfile", "parse_event", "parse_procfile", "to_json", "to_wire", "tool_result_content",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'heroku_agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
