"""Agent runs through the endpoint: max_calls, ttl_seconds, crashing tools, loop limits, concurrency, disconnects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import httpx
import pytest
from local_support import KEY, events_of, user

from heroku_agents.local.backends import BackendError, PlannedCall, ScriptedBackend, Step
from heroku_agents.local.process import LIVE_PIDS
from heroku_agents.models import parse_event
from heroku_agents.sse import aiter_events

pytestmark = pytest.mark.anyio


def _tool_results(body: bytes) -> list[dict]:
    """The CallToolResult of each tool.completion, parsed back from Heroku's content prefix."""
    results = []
    for event in events_of(body):
        if event.is_done:
            continue
        payload = json.loads(event.data)
        if payload["object"] == "tool.completion":
            content = payload["choices"][0]["message"]["content"]
            prefix, _, result = content.partition(" returned result: ")
            assert prefix.startswith("Tool '")
            results.append(json.loads(result))
    return results


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _call(name: str, **arguments) -> PlannedCall:
    return PlannedCall(name, arguments)


async def test_max_calls_turns_extra_calls_into_error_results_and_the_run_goes_on(app, client: httpx.AsyncClient) -> None:
    backend = ScriptedBackend([
        Step("twice", (_call("mcp-flaky/echo_text", text="a"), _call("mcp-flaky/echo_text", text="b"))),
        Step("once more", (_call("mcp-flaky/echo_text", text="c"),)),
        Step("done"),
    ])
    app.state.local.backend = backend
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("echo")],
        "tools": [{"type": "mcp", "name": "mcp-flaky/echo_text", "runtime_params": {"max_calls": 2}}],
    })
    results = _tool_results(response.content)
    assert [r["isError"] for r in results] == [False, False, True]
    assert [r["structuredContent"]["text"] for r in results[:2]] == ["a", "b"]
    assert results[2]["content"][0]["text"] == (
        "Error: max_calls=2 reached for mcp-flaky/echo_text in this run; answer with the results you already have"
    )
    assert json.loads(events_of(response.content)[-2].data)["choices"][0]["finish_reason"] == "stop"
    backend.assert_complete()


async def test_ttl_seconds_kills_a_slow_tool_and_its_children(app, client: httpx.AsyncClient, pid_dir: Path) -> None:
    for stale in pid_dir.glob("*.pid"):
        stale.unlink()
    app.state.local.backend = ScriptedBackend([Step("", (_call("mcp-flaky/sleep_for", seconds=60),)), Step("gave up")])
    with anyio.fail_after(20):
        response = await client.post("/v1/agents/heroku", json={
            "model": "m", "messages": [user("sleep")],
            "tools": [{"type": "mcp", "name": "sleep_for", "runtime_params": {"ttl_seconds": 3}}],
        })
    (result,) = _tool_results(response.content)
    assert result == {"content": [{"type": "text", "text": (
        "Error: mcp-flaky/sleep_for did not finish within ttl_seconds=3; its process was killed. Try narrower arguments."
    )}], "isError": True}
    pids = [int(p.read_text()) for p in pid_dir.glob("*.pid")]
    assert len(pids) == 2  # the server and the child it started
    assert not any(_alive(pid) for pid in pids)
    assert LIVE_PIDS == set()


async def test_a_crashing_tool_process_becomes_an_error_result_with_its_stderr(app, client: httpx.AsyncClient) -> None:
    app.state.local.backend = ScriptedBackend([Step("", (_call("mcp-flaky/crash_now"),)), Step("it crashed")])
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("crash")], "tools": [{"type": "mcp", "name": "crash_now"}],
    })
    (result,) = _tool_results(response.content)
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert text.startswith("Error: the process of mcp-flaky failed while running crash_now:")
    assert "flaky_server: crashing on purpose (DATABASE_URL=postgres://app:********@db.internal:5432/app)" in text
    assert "s3cret-pw" not in response.text
    assert json.loads(events_of(response.content)[-2].data)["choices"][0]["message"]["content"] == "it crashed"


async def test_calls_to_tools_not_offered_and_unparsable_arguments_are_error_results(app, client: httpx.AsyncClient) -> None:
    app.state.local.backend = ScriptedBackend([
        Step("", (_call("mcp-flaky/crash_now"), PlannedCall("mcp-flaky/echo_text", '{"text": '))),
        Step("ok"),
    ])
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("x")], "tools": [{"type": "mcp", "name": "echo_text"}],
    })
    assert [r["content"][0]["text"] for r in _tool_results(response.content)] == [
        "Error: tool 'mcp-flaky/crash_now' is not offered in this request; offered: mcp-flaky/echo_text",
        "Error: the arguments for mcp-flaky/echo_text were not valid JSON",
    ]


async def test_a_run_that_never_answers_stops_at_max_steps_with_a_length_finish(app, client: httpx.AsyncClient, settings) -> None:
    steps = [Step("again", (_call("mcp-flaky/echo_text"),))] * settings.max_steps
    app.state.local.backend = ScriptedBackend(steps)
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("loop")],
        "tools": [{"type": "mcp", "name": "echo_text", "runtime_params": {"max_calls": 1}}],
    })
    events = [json.loads(e.data) for e in events_of(response.content) if not e.is_done]
    assert len(events) == 2 * settings.max_steps + 1
    last = events[-1]["choices"][0]
    assert last["finish_reason"] == "length"
    assert last["message"]["content"].startswith(f"Stopped after {settings.max_steps} model steps")


async def test_a_backend_failure_on_the_first_step_is_an_http_error_and_later_an_error_event(app, client: httpx.AsyncClient) -> None:
    def rate_limited(messages, tools):
        raise BackendError(f"the model upstream answered HTTP 429 (rate limited; retry later): slow down {KEY}", status=429)

    app.state.local.backend = ScriptedBackend([rate_limited])
    response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("x")]})
    assert response.status_code == 429
    assert response.json()["error"]["message"].startswith("the model upstream answered HTTP 429")
    assert KEY not in response.text

    def broken(messages, tools):
        raise BackendError("the model upstream answered HTTP 503: unavailable", status=503)

    app.state.local.backend = ScriptedBackend([Step("", (_call("mcp-flaky/echo_text"),)), broken])
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("x")], "tools": [{"type": "mcp", "name": "echo_text"}],
    })
    events = events_of(response.content)
    assert [e.event for e in events] == ["message", "message", "error", "done"]
    assert json.loads(events[2].data) == {
        "message": "the model upstream answered HTTP 503: unavailable", "type": "model_backend_error", "status": 503,
    }


async def test_twenty_concurrent_runs_each_get_every_event(app, client: httpx.AsyncClient) -> None:
    def plan(messages, tools):
        run = messages[0]["content"]
        if messages[-1]["role"] == "tool":
            return Step(f"finished {run}")
        return Step("", (_call("code_exec_python", code=f"print('{run}')"),))

    app.state.local.backend = ScriptedBackend([plan] * 40)
    bodies: dict[int, bytes] = {}

    async def one(number: int) -> None:
        response = await client.post("/v1/agents/heroku", json={
            "model": "m", "messages": [user(f"run-{number}")], "tools": [{"type": "heroku_tool", "name": "code_exec_python"}],
        })
        bodies[number] = response.content

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for number in range(20):
                tg.start_soon(one, number)
    for number, body in bodies.items():
        events = events_of(body)
        assert [e.event for e in events] == ["message"] * 3 + ["done"]
        objects = [parse_event(e.data) for e in events[:3]]
        assert len({o.id for o in objects}) == 1
        assert json.loads(_tool_results(body)[0]["content"][0]["text"])["stdout"] == f"run-{number}\n"
        assert objects[2].choices[0].message.content == f"finished run-{number}"
    assert len({parse_event(events_of(b)[0].data).id for b in bodies.values()}) == 20


async def test_client_disconnect_cancels_the_run_and_kills_its_tool_processes(app, live_url: str, pid_dir: Path) -> None:
    for stale in pid_dir.glob("*.pid"):
        stale.unlink()
    app.state.local.backend = ScriptedBackend([Step("", (_call("mcp-flaky/sleep_for", seconds=120),)), Step("never")])
    with anyio.fail_after(30):
        async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http:
            async with http.stream("POST", "/v1/agents/heroku", json={
                "model": "m", "messages": [user("sleep")], "tools": [{"type": "mcp", "name": "sleep_for"}],
            }) as response:
                events = aiter_events(response.aiter_bytes())  # held: dropping it would close the connection early
                first = await events.__anext__()
                assert json.loads(first.data)["choices"][0]["finish_reason"] == "tool_calls"
                while len(list(pid_dir.glob("*.pid"))) < 2:  # the tool is running: server and its child
                    await anyio.sleep(0.02)
        # leaving the block closed the connection mid-run
        pids = [int(p.read_text()) for p in pid_dir.glob("*.pid")]
        while any(_alive(pid) for pid in pids) or LIVE_PIDS:
            await anyio.sleep(0.02)
    assert not any(_alive(pid) for pid in pids)


async def test_heartbeats_are_sse_comments_between_events_when_enabled(app, client: httpx.AsyncClient, settings) -> None:
    state = app.state.local
    state.settings = settings.model_copy(update={"heartbeat_seconds": 0.1})
    try:
        state.backend = ScriptedBackend([Step("", (_call("mcp-flaky/sleep_for", seconds=1.0),)), Step("rested")])
        response = await client.post("/v1/agents/heroku", json={
            "model": "m", "messages": [user("sleep")], "tools": [{"type": "mcp", "name": "sleep_for"}]})
    finally:
        state.settings = settings
    assert b"\n\n:heartbeat\n\n" in response.content
    events = events_of(response.content)
    assert [e.event for e in events] == ["message"] * 3 + ["done"]
    assert json.loads(events[2].data)["choices"][0]["message"]["content"] == "rested"
    assert response.content.startswith(b"event:message\ndata:{")
