"""Chat mode: tools listed from a Procfile's STDIO servers, offered as functions, run through MCP, looped to an answer.

The model is a scripted stand-in for an OpenAI-compatible `/v1/chat/completions` (no LLM is reachable
offline): it calls the `add` function it was offered, then answers from the tool message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heroku_agents.client import AgentsClient
from heroku_agents.driver.chat_mode import McpToolbox, ToolNames, run_chat
from heroku_agents.driver.events import FinalAnswer, ModelStep, RunFinished, ToolResult
from heroku_agents.errors import AgentLoopError, McpServerError
from heroku_agents.local.serve import serve_local
from heroku_agents.mcp_stdio import server_environment
from heroku_agents.models import AgentRequest
from heroku_agents.procfile import load_procfile

pytestmark = pytest.mark.anyio

TOY = Path(__file__).parent / "servers" / "toy_server.py"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on(self, event: Any) -> None:
        self.events.append(event)


def procfile(tmp_path: Path, *flavours: str) -> Path:
    lines = [f"mcp-{f}: {sys.executable} {TOY} --flavour {f}" for f in flavours]
    path = tmp_path / "Procfile"
    path.write_text("web: echo not an mcp server\n" + "\n".join(lines) + "\n")
    return path


def completion(message: dict[str, Any], finish: str, usage: tuple[int, int]) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "scripted", "system_fingerprint": "t",
            "choices": [{"index": 0, "message": {"role": "assistant", "refusal": None, **message}, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}}


def scripted_model(seen: list[dict[str, Any]], *, loop_forever: bool = False) -> Starlette:
    async def chat(request: Request) -> Response:
        body = json.loads(await request.body())
        seen.append(body)
        last = body["messages"][-1]
        if last["role"] != "tool" or loop_forever:
            add = next(t["function"]["name"] for t in body["tools"] if t["function"]["name"].endswith("__add"))
            call = {"id": f"tooluse_{len(seen)}", "type": "function", "function": {"name": add, "arguments": '{"a": 2, "b": 3}'}}
            return JSONResponse(completion({"content": "Adding.", "tool_calls": [call]}, "tool_calls", (100, 20)))
        return JSONResponse(completion({"content": f"The tool said: {last['content']}"}, "stop", (150, 30)))

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


REQUEST = AgentRequest(
    model="scripted",
    messages=[{"role": "system", "content": "Be exact."}, {"role": "user", "content": "What is 2 + 3?"}],
    tools=[{"type": "mcp", "name": "mcp-echo/add"}, {"type": "mcp", "name": "echo"},
           {"type": "heroku_tool", "name": "code_exec_python"}],
    temperature=0.1,
)


def test_tool_names_map_to_function_names_and_back() -> None:
    names = ToolNames()
    assert names.add("mcp-postgres/pg_diagnose") == "mcp-postgres__pg_diagnose"
    assert names.add("mcp x/tool.v2") == "mcp_x__tool_v2"
    long = "mcp-" + "a" * 80 + "/tool"
    mapped = names.add(long)
    assert len(mapped) == 64 and names.tool(mapped) == long
    assert names.add("mcp_x__tool_v2") == "mcp_x__tool_v2_2"  # clash with the earlier mapping
    assert names.tool("mcp-postgres__pg_diagnose") == "mcp-postgres/pg_diagnose"
    assert names.tool("nope") is None


async def test_chat_mode_runs_the_models_tool_call_through_the_stdio_server_and_returns_its_answer(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    recorder = Recorder()
    pf = load_procfile(procfile(tmp_path, "echo"))
    with anyio.fail_after(60):
        async with serve_local(scripted_model(seen)) as url, AgentsClient(url, "inf-k") as client:
            async with McpToolbox.open(pf, REQUEST, env=server_environment()) as box:
                figures = await run_chat(client, REQUEST, box, recorder)
    assert box.skipped == ["code_exec_python"]
    assert [t["function"]["name"] for t in seen[0]["tools"]] == ["mcp-echo__add", "mcp-echo__echo"]
    assert seen[0]["tools"][0]["function"]["description"] == "Add two integers and return the total with a one-line summary."
    assert seen[0]["temperature"] == 0.1 and seen[0]["model"] == "scripted"
    tool_message = seen[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "tooluse_1"
    assert tool_message["content"].startswith("Tool 'mcp-echo/add' returned result: {")
    result = json.loads(tool_message["content"].split("returned result: ", 1)[1])
    assert result["structuredContent"] == {"total": 5, "summary": "2 + 3 = 5"}
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds == ["ModelStep", "ToolResult", "ModelStep", "FinalAnswer", "RunFinished"]
    step: ModelStep = recorder.events[0]
    assert [(c.name, c.arguments) for c in step.tool_calls] == [("mcp-echo/add", {"a": 2, "b": 3})]
    tool: ToolResult = recorder.events[1]
    assert (tool.name, tool.is_error, tool.summary) == ("mcp-echo/add", False, "2 + 3 = 5")
    assert isinstance(recorder.events[3], FinalAnswer) and "2 + 3 = 5" in recorder.events[3].content
    assert isinstance(recorder.events[4], RunFinished)
    assert (figures.model_steps, figures.tool_calls, figures.total_tokens) == (2, 1, 300)
    assert figures.setup > 0 and figures.tool_time > 0 and figures.model_time > 0
    assert figures.elapsed >= figures.setup + figures.tool_time


async def test_chat_mode_stops_with_a_typed_error_when_the_model_never_answers(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    recorder = Recorder()
    pf = load_procfile(procfile(tmp_path, "echo"))
    with anyio.fail_after(60):
        async with serve_local(scripted_model(seen, loop_forever=True)) as url, AgentsClient(url, None) as client:
            async with McpToolbox.open(pf, REQUEST, env=server_environment()) as box:
                with pytest.raises(AgentLoopError) as info:
                    await run_chat(client, REQUEST, box, recorder, max_turns=4)
    assert str(info.value) == "chat mode: still calling tools after 4 model steps; raise --max-turns or narrow the prompt"
    assert len(seen) == 4
    results = [e for e in recorder.events if isinstance(e, ToolResult)]
    # max_calls defaults to 3 per tool, as on Heroku: the fourth call is refused without running
    assert [r.is_error for r in results] == [False, False, False, True]
    assert "max_calls=3 reached for mcp-echo/add" in results[-1].summary


async def test_toolbox_names_tools_no_server_provides_and_server_start_failures(tmp_path: Path) -> None:
    pf = load_procfile(procfile(tmp_path, "echo"))
    missing = REQUEST.model_copy(update={"tools": [REQUEST.tools[0].model_copy(update={"name": "mcp-echo/nope"})]})
    with anyio.fail_after(30), pytest.raises(McpServerError) as info:
        async with McpToolbox.open(pf, missing, env=server_environment()):
            pass
    assert str(info.value).endswith("serves mcp-echo/nope (served: mcp-echo/add, mcp-echo/echo)")

    crash = load_procfile(procfile(tmp_path, "crash"))
    crashing = REQUEST.model_copy(update={"tools": [REQUEST.tools[0].model_copy(update={"name": "mcp-crash/x"})]})
    with anyio.fail_after(30), pytest.raises(McpServerError) as info:
        async with McpToolbox.open(crash, crashing, env=server_environment()):
            pass
    message = str(info.value)
    assert message.startswith(f"mcp-crash (`{sys.executable} {TOY} --flavour crash`, Procfile line 2) exited or broke")
    assert "stderr: toy_server: refusing to start (crash flavour)" in message
    assert info.value.exit_code == 9
