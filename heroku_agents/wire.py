"""The tool-result wire format, in one place for the driver, chat mode and the local endpoint.

A `tool.completion`'s content is `Tool '<name>' returned result: <CallToolResult JSON>`; built-in tools
may put plain text after the prefix. Tool names become OpenAI function names (`^[a-zA-Z0-9_-]{1,64}$`)
through `function_name`. Refusals (`max_calls` spent, bad arguments) are `isError` results the model reads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from heroku_agents.models import ToolCompletionEvent, to_json

__all__ = [
    "TOOL_RESULT_PREFIX", "ToolOutcome", "error_result", "function_name", "max_calls_refusal", "parse_tool_content",
    "text_result", "tool_outcome", "tool_result_content",
]

TOOL_RESULT_PREFIX = "Tool '{name}' returned result: "
_RESULT = re.compile(r"^Tool '(?P<name>.*?)' returned result: (?P<rest>.*)$", re.S)
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_INVALID = re.compile(r"[^a-zA-Z0-9_-]")


def tool_result_content(name: str, call_tool_result: dict[str, Any]) -> str:
    """`Tool '<name>' returned result: <CallToolResult JSON>`, the tool.completion content."""
    return TOOL_RESULT_PREFIX.format(name=name) + to_json(call_tool_result)


def text_result(text: str, *, is_error: bool = False, structured: Any = None) -> dict[str, Any]:
    """A `CallToolResult` wire dict holding one text part (and structuredContent when given)."""
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if structured is not None:
        result["structuredContent"] = structured
    result["isError"] = is_error
    return result


def error_result(text: str) -> dict[str, Any]:
    """An `isError` result the model reads: `Error: <text>`."""
    return text_result(f"Error: {text}", is_error=True)


def max_calls_refusal(name: str, used: int, limit: int) -> dict[str, Any] | None:
    """The error result for a call past the tool's `max_calls` in this run, else None (the call may run)."""
    if used < limit:
        return None
    return error_result(f"max_calls={limit} reached for {name} in this run; answer with the results you already have")


def function_name(name: str) -> str:
    """`mcp-postgres/pg_diagnose` -> `mcp-postgres__pg_diagnose`; too long or odd names get a hash suffix."""
    candidate = _INVALID.sub("_", name.replace("/", "__"))
    if _FUNCTION_NAME.match(candidate):
        return candidate
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{candidate[:55]}_{digest}"


@dataclass(frozen=True)
class ToolOutcome:
    """A tool result read back: the MCP CallToolResult when the content carried one."""

    name: str
    tool_call_id: str
    text: str
    result: dict[str, Any] | None
    is_error: bool

    @property
    def structured(self) -> Any:
        """`structuredContent`, else the JSON of the joined text parts when they are JSON, else None."""
        if self.result and self.result.get("structuredContent") is not None:
            return self.result["structuredContent"]
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def data(self) -> Any:
        """`structured`, else the text itself."""
        structured = self.structured
        return self.text if structured is None else structured


def parse_tool_content(content: str, *, name: str = "", tool_call_id: str = "") -> ToolOutcome:
    """Parse `Tool '<name>' returned result: <CallToolResult JSON>` back into its parts.

    Built-in tools may return plain text after the prefix; then `result` is None and `text` is it.
    """
    match = _RESULT.match(content)
    rest = match["rest"] if match else content
    result: dict[str, Any] | None = None
    try:
        parsed = json.loads(rest)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("content"), list):
        result = parsed
        text = "\n".join(p.get("text", "") for p in parsed["content"] if isinstance(p, dict) and p.get("type") == "text")
    else:
        text = rest
    return ToolOutcome(
        name=match["name"] if match else name,
        tool_call_id=tool_call_id,
        text=text,
        result=result,
        is_error=bool(result and result.get("isError")),
    )


def tool_outcome(event: ToolCompletionEvent) -> ToolOutcome:
    """A `tool.completion` event read back (see `parse_tool_content`)."""
    message = event.choices[0].message
    return parse_tool_content(message.content, name=message.name, tool_call_id=message.tool_call_id)
