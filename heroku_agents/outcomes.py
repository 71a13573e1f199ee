"""Reading an agents stream back: a `tool.completion`'s MCP result, and short labels for events."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from heroku_agents.models import ChatCompletionEvent, ToolCompletionEvent

__all__ = ["ToolOutcome", "describe_event", "tool_outcome"]

_RESULT = re.compile(r"^Tool '(?P<name>.*?)' returned result: (?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class ToolOutcome:
    """A `tool.completion` read back: the MCP CallToolResult when the content carried one."""

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


def tool_outcome(event: ToolCompletionEvent) -> ToolOutcome:
    """Parse `Tool '<name>' returned result: <CallToolResult JSON>` back into its parts.

    Built-in tools may return plain text after the prefix; then `result` is None and `text` is it.
    """
    message = event.choices[0].message
    match = _RESULT.match(message.content)
    rest = match["rest"] if match else message.content
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
        name=match["name"] if match else message.name,
        tool_call_id=message.tool_call_id,
        text=text,
        result=result,
        is_error=bool(result and result.get("isError")),
    )


def describe_event(event: ChatCompletionEvent | ToolCompletionEvent) -> str:
    """A short label for progress and for `StreamInterruptedError.received`."""
    choice = event.choices[0]
    if isinstance(event, ToolCompletionEvent):
        return f"tool.completion ({choice.message.name})"
    calls = choice.message.tool_calls or []
    if calls:
        return f"chat.completion (tool_calls: {', '.join(c.function.name for c in calls)})"
    return f"chat.completion ({choice.finish_reason or 'no finish_reason'})"
