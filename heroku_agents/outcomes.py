"""Short labels for agents stream events (a `tool.completion`'s result is read back by `heroku_agents.wire`)."""

from __future__ import annotations

from heroku_agents.models import ChatCompletionEvent, ToolCompletionEvent

__all__ = ["describe_event"]

def describe_event(event: ChatCompletionEvent | ToolCompletionEvent) -> str:
    """A short label for progress and for `StreamInterruptedError.received`."""
    choice = event.choices[0]
    if isinstance(event, ToolCompletionEvent):
        return f"tool.completion ({choice.message.name})"
    calls = choice.message.tool_calls or []
    if calls:
        return f"chat.completion (tool_calls: {', '.join(c.function.name for c in calls)})"
    return f"chat.completion ({choice.finish_reason or 'no finish_reason'})"
