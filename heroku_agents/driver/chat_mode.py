"""Chat mode: the client runs the agent loop over `/v1/chat/completions` and executes tools itself.

The Procfile's `mcp*` servers are started over STDIO, their tools offered as OpenAI function tools
(names mapped to `^[a-zA-Z0-9_-]{1,64}$` and back), and the model's `tool_calls` executed through
the MCP client until the model answers without tools, within `max_turns` model steps.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from heroku_agents.client import AgentsClient
from heroku_agents.driver.agents_mode import parse_arguments
from heroku_agents.driver.events import FinalAnswer, ModelStep, RunFigures, RunFinished, ToolCallInfo, ToolResult
from heroku_agents.driver.render import Renderer, summarize_result
from heroku_agents.errors import AgentLoopError, McpServerError
from heroku_agents.mcp_stdio import CALL_TIMEOUT, listed_tool, open_server
from heroku_agents.model_tools import NO_ARGUMENTS, BoundTool, Runner, ToolSpec
from heroku_agents.models import AgentRequest, MCPServerTool, ToolChoice, ToolCompletionEvent, ToolMessage
from heroku_agents.procfile import Procfile
from heroku_agents.wire import error_result, max_calls_refusal, tool_outcome, tool_result_content
from heroku_agents.wire import function_name as openai_function_name

__all__ = ["DEFAULT_MAX_TURNS", "McpToolbox", "ToolNames", "run_chat"]

DEFAULT_MAX_TURNS = 10  # model steps; the local endpoint's own default is 12


class ToolNames:
    """A two-way map between `process_type/tool` names and OpenAI function names.

    `mcp-postgres/pg_diagnose` becomes `mcp-postgres__pg_diagnose`; other invalid characters become
    `_`; names over 64 characters keep a prefix plus a hash; clashes get a numeric suffix.
    """

    def __init__(self) -> None:
        self._to_fn: dict[str, str] = {}
        self._from_fn: dict[str, str] = {}

    def add(self, name: str) -> str:
        if name in self._to_fn:
            return self._to_fn[name]
        fn = openai_function_name(name)
        base, n = fn, 1
        while fn in self._from_fn:
            n += 1
            fn = f"{base[: 64 - len(str(n)) - 1]}_{n}"
        self._to_fn[name], self._from_fn[fn] = fn, name
        return fn

    def function(self, name: str) -> str:
        return self._to_fn[name]

    def tool(self, function_name: str) -> str | None:
        return self._from_fn.get(function_name)


class McpToolbox:
    """The config's MCP tools, served by the Procfile's processes that this client started itself."""

    def __init__(self) -> None:
        self.names = ToolNames()
        self.entries: dict[str, BoundTool] = {}  # OpenAI function name -> tool
        self.calls: Counter[str] = Counter()
        self.skipped: list[str] = []
        self.setup_seconds = 0.0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, procfile: Procfile, request: AgentRequest, *, env: Mapping[str, str], cwd: Path | None = None
    ) -> AsyncIterator[McpToolbox]:
        """Start the servers the request's `mcp` tools live on (all of them for bare names) and list tools.

        Raises:
            McpServerError: a server failed to start, or a requested tool is served by none.
        """
        box = cls()
        start = time.perf_counter()
        wanted = [t for t in request.tools or [] if t.type == "mcp"]
        box.skipped = [t.name for t in request.tools or [] if t.type != "mcp"]
        types = {t.name.split("/", 1)[0] for t in wanted if "/" in t.name}
        bare = any("/" not in t.name for t in wanted)
        servers = [p for p in procfile.mcp_servers() if bare or p.name in types]
        cwd = cwd or Path(procfile.path).resolve().parent
        async with AsyncExitStack() as stack:
            listed: dict[str, tuple[Any, MCPServerTool]] = {}
            for process in servers:
                client, tools = await stack.enter_async_context(open_server(process, cwd=cwd, env=env))
                for tool in (listed_tool(process.name, t, NO_ARGUMENTS) for t in tools):
                    listed.setdefault(tool.namespaced_name, (client, tool))
                    listed.setdefault(tool.name, (client, tool))  # bare names: first server wins, like Heroku
            missing = []
            for t in wanted:
                if t.name not in listed:
                    missing.append(t.name)
                    continue
                client, tool = listed[t.name]
                spec = ToolSpec(tool.namespaced_name, tool.description, tool.input_schema, tool.annotations)
                box.entries[box.names.add(spec.name)] = BoundTool(spec, t, _runner(client, tool.name))
            if missing:
                served = ", ".join(sorted(k for k in listed if "/" in k)) or "none"
                raise McpServerError(
                    f"no mcp* process of {procfile.path} serves {', '.join(missing)} (served: {served})"
                )
            box.setup_seconds = time.perf_counter() - start
            yield box

    def function_tools(self) -> list[dict[str, Any]]:
        """The tools as `/v1/chat/completions` wants them."""
        return [
            {"type": "function", "function": {"name": fn, "description": e.spec.description,
                                              "parameters": e.spec.input_schema}}
            for fn, e in self.entries.items()
        ]

    async def call(self, function_name: str, arguments: Any, call_id: str) -> ToolCompletionEvent:
        """Run one tool call; the result is shaped like Heroku's `tool.completion` so both modes read alike."""
        import anyio
        from mcp import MCPError

        entry = self.entries.get(function_name)
        name = entry.spec.name if entry else function_name
        refusal = None if entry is None else max_calls_refusal(name, self.calls[name], entry.max_calls)
        if entry is None:
            result = error_result(f"unknown tool {function_name!r}; available: {', '.join(self.entries)}")
        elif refusal is not None:
            result = refusal
        elif not isinstance(arguments, dict):
            result = error_result(f"arguments for {name} must be a JSON object, got: {str(arguments)[:200]}")
        else:
            self.calls[name] += 1
            try:
                result = await entry.run(arguments)
            except MCPError as exc:
                result = error_result(f"{name} failed: {exc}")
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                result = error_result(f"{name} failed: its server process exited during the call")
        message = ToolMessage(content=tool_result_content(name, result), tool_call_id=call_id, name=name)
        return ToolCompletionEvent(id="local", created=int(time.time()), system_fingerprint="chat-mode",
                                   choices=[ToolChoice(message=message)])


def _runner(client: Any, tool_name: str) -> Runner:
    async def run(arguments: dict[str, Any]) -> dict[str, Any]:
        r = await client.call_tool(tool_name, arguments, read_timeout_seconds=CALL_TIMEOUT)
        return r.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"meta"})

    return run


def _chat_messages(request: AgentRequest) -> list[dict[str, Any]]:
    return [{"role": m.role, "content": m.content} for m in request.messages]


async def run_chat(
    client: AgentsClient,
    request: AgentRequest,
    toolbox: McpToolbox,
    renderer: Renderer,
    *,
    max_turns: int = DEFAULT_MAX_TURNS,
) -> RunFigures:
    """Loop over `/v1/chat/completions` until the model answers without tool calls.

    Raises:
        AgentLoopError: still calling tools after `max_turns` model steps.
        AgentsError subclasses from the client.
    """
    figures = RunFigures(mode="chat", setup=toolbox.setup_seconds)
    start = time.perf_counter()
    messages = _chat_messages(request)
    options = {k: v for k, v in {"temperature": request.temperature, "top_p": request.top_p, "stop": request.stop,
                                 "max_tokens": request.max_tokens_per_inference_request}.items() if v is not None}
    tools = toolbox.function_tools()
    final = ""
    for step in range(1, max_turns + 1):
        body: dict[str, Any] = {"model": request.model, "messages": messages, **options}
        if tools:
            body["tools"] = tools
        t0 = time.perf_counter()
        response = await client.chat_completion(body)
        figures.model_time += time.perf_counter() - t0
        now = time.perf_counter() - start
        figures.first_step = figures.first_step if figures.first_step is not None else now
        choice = response.choices[0]
        message = choice.message
        usage = response.usage
        figures.model_steps += 1
        figures.prompt_tokens += usage.prompt_tokens
        figures.completion_tokens += usage.completion_tokens
        figures.total_tokens += usage.total_tokens
        calls = message.tool_calls or []
        shown = tuple(ToolCallInfo(c.id, toolbox.names.tool(c.function.name) or c.function.name,
                                   parse_arguments(c.function.arguments)) for c in calls)
        renderer.on(ModelStep(step, now, message.content or "", shown, choice.finish_reason,
                              usage.prompt_tokens, usage.completion_tokens))
        if not calls:
            final = message.content or ""
            break
        messages.append({"role": "assistant", "content": message.content or "",
                         "tool_calls": [c.model_dump(mode="json") for c in calls]})
        for call, info in zip(calls, shown, strict=True):
            t0 = time.perf_counter()
            event = await toolbox.call(call.function.name, info.arguments, call.id)
            took = time.perf_counter() - t0
            figures.tool_time += took
            outcome = tool_outcome(event)
            figures.tool_calls += 1
            figures.tool_errors += outcome.is_error
            figures.tools_called.append(outcome.name)
            renderer.on(ToolResult(step, time.perf_counter() - start, outcome.name, call.id, outcome.is_error,
                                   summarize_result(outcome.text, outcome.structured), duration=took))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": event.choices[0].message.content})
    else:
        raise AgentLoopError(
            f"chat mode: still calling tools after {max_turns} model steps; raise --max-turns or narrow the prompt"
        )
    figures.elapsed = time.perf_counter() - start + figures.setup
    figures.final_answer = final
    renderer.on(FinalAnswer(final))
    renderer.on(RunFinished(figures))
    return figures

