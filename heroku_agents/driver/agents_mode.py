"""Agents mode: one `POST /v1/agents/heroku`; Heroku (or the local endpoint) runs the tools."""

from __future__ import annotations

import json
import time
from typing import Any

from heroku_agents.client import AgentsClient, tool_outcome
from heroku_agents.driver.events import FinalAnswer, ModelStep, RunFigures, RunFinished, ToolCallInfo, ToolResult
from heroku_agents.driver.render import Renderer, summarize_result
from heroku_agents.models import AgentRequest, ChatCompletionEvent, to_wire

__all__ = ["parse_arguments", "run_agents"]


def parse_arguments(arguments: str) -> Any:
    """`function.arguments` is a JSON string; show the parsed object when it parses."""
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments


async def run_agents(client: AgentsClient, request: AgentRequest, renderer: Renderer) -> RunFigures:
    """Stream one agent run, reporting each step to `renderer`; returns the run's figures.

    The final answer is the content of the last `chat.completion` (what Heroku's CLI shows);
    usage is summed over the `chat.completion` events, each of which reports one inference request.

    Raises:
        AgentsError subclasses from the client (HTTP, connection, interrupted stream).
    """
    figures = RunFigures(mode="agents")
    start = time.perf_counter()
    step = 0
    final = ""
    previous = 0.0
    async for event in client.stream_agent(request):
        now = time.perf_counter() - start
        # Heroku reports no timings: the gap before an event is the time spent producing it
        gap, previous = now - previous, now
        if figures.first_step is None:
            figures.first_step = now
        if isinstance(event, ChatCompletionEvent):
            figures.model_time += gap
            step += 1
            choice = event.choices[0]
            calls = tuple(
                ToolCallInfo(c.id, c.function.name, parse_arguments(c.function.arguments))
                for c in choice.message.tool_calls or []
            )
            figures.model_steps += 1
            figures.prompt_tokens += event.usage.prompt_tokens
            figures.completion_tokens += event.usage.completion_tokens
            figures.total_tokens += event.usage.total_tokens
            final = choice.message.content or final
            renderer.on(ModelStep(step, now, choice.message.content, calls, choice.finish_reason,
                                  event.usage.prompt_tokens, event.usage.completion_tokens, raw=to_wire(event)))
        else:
            outcome = tool_outcome(event)
            figures.tool_time += gap
            figures.tool_calls += 1
            figures.tool_errors += outcome.is_error
            figures.tools_called.append(outcome.name)
            renderer.on(ToolResult(step, now, outcome.name, outcome.tool_call_id, outcome.is_error,
                                   summarize_result(outcome.text, outcome.structured), duration=gap,
                                   raw=to_wire(event)))
    figures.elapsed = time.perf_counter() - start
    figures.final_answer = final
    renderer.on(FinalAnswer(final))
    renderer.on(RunFinished(figures))
    return figures
