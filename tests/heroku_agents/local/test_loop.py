"""AgentRun on its own: typed outcomes, one id per run, and the conversation the model sees."""

from __future__ import annotations

import re

import pytest

from heroku_agents.local.backends import BackendError, PlannedCall, ScriptedBackend, Step, UnexpectedModelCall
from heroku_agents.local.loop import AgentRun, BackendFailed, Completed, MaxStepsReached, RunError
from heroku_agents.model_tools import BoundTool, ToolSpec
from heroku_agents.models import AgentRequest, ChatCompletionEvent, Tool, ToolCompletionEvent

pytestmark = pytest.mark.anyio


def _request() -> AgentRequest:
    return AgentRequest(model="claude-4-sonnet", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "add"}],
                        temperature=0.2, max_tokens_per_inference_request=512)


def _adder() -> dict[str, BoundTool]:
    async def add(arguments):
        return {"content": [{"type": "text", "text": str(arguments["a"] + arguments["b"])}], "isError": False}

    spec = ToolSpec("mcp-math/add", "Add two numbers.", {"type": "object", "required": ["a", "b"]})
    return {"mcp-math/add": BoundTool(spec, Tool(type="mcp", name="add"), add)}


async def test_a_run_completes_with_one_id_and_the_model_sees_each_result() -> None:
    backend = ScriptedBackend([Step("", (PlannedCall("mcp-math/add", {"a": 2, "b": 3}, "tooluse_1"),)), Step("5")])
    run = AgentRun(_request(), backend, _adder(), max_steps=5)
    events = [e async for e in run.events()]
    assert [type(e) for e in events] == [ChatCompletionEvent, ToolCompletionEvent, ChatCompletionEvent]
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{21}", run.id) and {e.id for e in events} == {run.id}
    assert re.fullmatch(r"scripted-[0-9a-z]{7}", run.fingerprint)
    assert run.outcome == Completed(steps=2)
    assert backend.calls[1]["messages"][1:] == [
        {"role": "user", "content": "add"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "tooluse_1", "type": "function", "function": {"name": "mcp-math/add", "arguments": '{"a":2,"b":3}'}}]},
        {"role": "tool", "tool_call_id": "tooluse_1", "name": "mcp-math/add",
         "content": "Tool 'mcp-math/add' returned result: {\"content\":[{\"type\":\"text\",\"text\":\"5\"}],\"isError\":false}"},
    ]
    options = backend.calls[0]["options"]
    assert (options.model, options.temperature, options.max_tokens) == ("claude-4-sonnet", 0.2, 512)
    backend.assert_complete()


async def test_max_steps_is_a_typed_outcome() -> None:
    backend = ScriptedBackend([Step("", (PlannedCall("mcp-math/add", {"a": 1, "b": 1}),))] * 2)
    run = AgentRun(_request(), backend, _adder(), max_steps=2)
    events = [e async for e in run.events()]
    assert run.outcome == MaxStepsReached(steps=2)
    assert events[-1].choices[0].finish_reason == "length"


async def test_a_backend_error_is_a_typed_outcome_with_a_redacted_error_event() -> None:
    def fail(messages, tools):
        raise BackendError("upstream said no to key inf-secret-1234", status=503)

    run = AgentRun(_request(), ScriptedBackend([fail]), {}, max_steps=3, secrets=("inf-secret-1234",))
    events = [e async for e in run.events()]
    assert events == [RunError("upstream said no to key ********", 503)]
    assert run.outcome == BackendFailed("upstream said no to key ********", 503)


async def test_the_scripted_backend_fails_on_a_step_it_was_not_given() -> None:
    backend = ScriptedBackend([Step("", (PlannedCall("mcp-math/add", {"a": 1, "b": 1}),))])
    run = AgentRun(_request(), backend, _adder(), max_steps=5)
    with pytest.raises(UnexpectedModelCall):
        async for _ in run.events():
            pass
    with pytest.raises(AssertionError):
        ScriptedBackend([Step("a"), Step("b")]).assert_complete()


def test_the_package_root_re_exports_lazily() -> None:
    import subprocess
    import sys

    code = "import sys, heroku_agents; assert 'pydantic' not in sys.modules; from heroku_agents import *; print(len(__all__ if False else heroku_agents.__all__))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(result.stdout) >= 40
