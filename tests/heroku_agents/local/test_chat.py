"""/v1/chat/completions with the official `openai` client, and the OpenAI-compatible upstream backend
run against a second local endpoint (a real peer that speaks the same API)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest
from local_support import KEY, TEST_PROCFILE, events_of, user

from heroku_agents.local.app import create_app
from heroku_agents.local.backends import (
    BackendError,
    OfflinePlanner,
    OpenAICompatible,
    PlannedCall,
    ScriptedBackend,
    Step,
)
from heroku_agents.local.settings import LocalSettings
from heroku_agents.models import Usage
from heroku_agents.procfile import parse_procfile
from heroku_agents.wire import function_name

pytestmark = pytest.mark.anyio

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def _openai(app) -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local")
    return openai.AsyncOpenAI(base_url="http://local/v1", api_key=KEY, http_client=http, max_retries=0)


async def test_openai_client_gets_a_tool_call_without_streaming(app) -> None:
    app.state.local.backend = ScriptedBackend([
        Step("Checking Portland.", (PlannedCall("get_current_weather", {"location": "Portland, OR"}, "tooluse_aFByQsacQ_2BmYMGHvkBmg"),),
             Usage(prompt_tokens=407, completion_tokens=107, total_tokens=514)),
    ])
    completion = await _openai(app).chat.completions.create(
        model="claude-4-sonnet", messages=[{"role": "user", "content": "Weather in Portland?"}], tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert (completion.object, completion.model, choice.finish_reason) == ("chat.completion", "claude-4-sonnet", "tool_calls")
    assert choice.message.content == "Checking Portland."
    (call,) = choice.message.tool_calls
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "tooluse_aFByQsacQ_2BmYMGHvkBmg", "get_current_weather", {"location": "Portland, OR"})
    assert completion.usage.total_tokens == 514


async def test_openai_client_streams_text_and_tool_calls(app) -> None:
    app.state.local.backend = ScriptedBackend([
        Step("Let me look.", (PlannedCall("get_current_weather", {"location": "Paris"}, "tooluse_x"),),
             Usage(prompt_tokens=5, completion_tokens=7, total_tokens=12)),
        Step("It is sunny."),
    ])
    client = _openai(app)
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER_TOOL], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert (text, finishes, chunks[-1].usage.total_tokens) == ("Let me look.", ["tool_calls"], 12)
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [("tooluse_x", "get_current_weather", '{"location":"Paris"}')]
    # the follow-up turn carries the tool result back, with content-part arrays flattened to text
    follow_up = await client.chat.completions.create(model="m", messages=[
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "tooluse_x", "type": "function", "function": {"name": "get_current_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "tooluse_x", "content": "sunny"},
    ])
    assert follow_up.choices[0].message.content == "It is sunny."
    sent = app.state.local.backend.calls[1]["messages"]
    assert sent[0] == {"role": "user", "content": "Weather in Paris?"}
    assert sent[2] == {"role": "tool", "tool_call_id": "tooluse_x", "content": "sunny"}


async def test_offline_planner_answers_chat_completions_with_a_filled_tool_call(app) -> None:
    app.state.local.backend = OfflinePlanner()
    completion = await _openai(app).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "What is the weather in `Lisbon`?"}], tools=[WEATHER_TOOL],
    )
    assert completion.model == "offline-planner"
    assert completion.system_fingerprint.startswith("offline-planner-")
    (call,) = completion.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_current_weather", {"location": "Lisbon"})


async def test_invalid_chat_requests_get_400_through_the_openai_client(app) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await _openai(app).chat.completions.create(model="m", messages=[])
    assert "messages: List should have at least 1 item" in str(info.value)


def test_mcp_tool_names_map_to_the_upstream_charset_and_stay_distinct() -> None:
    assert function_name("mcp-postgres/pg_diagnose") == "mcp-postgres__pg_diagnose"
    assert function_name("html_to_markdown") == "html_to_markdown"
    long_a, long_b = "mcp-" + "a" * 70 + "/x", "mcp-" + "a" * 70 + "/y"
    assert len(function_name(long_a)) <= 64 and function_name(long_a) != function_name(long_b)


async def test_upstream_backend_maps_tool_names_both_ways_through_a_real_peer(app, client: httpx.AsyncClient) -> None:
    """Endpoint A (the module's app) uses endpoint B's /v1/chat/completions as its model."""
    seen: list[list[str]] = []

    def upstream_step(messages, tools):
        seen.append([t.name for t in tools])
        if messages[-1]["role"] == "tool":
            assert messages[-2]["tool_calls"][0]["function"]["name"] == "mcp-flaky__echo_text"
            assert messages[-1]["content"].startswith("Tool 'mcp-flaky/echo_text' returned result: ")
            return Step("The server echoed hi.", usage=Usage(prompt_tokens=9, completion_tokens=4, total_tokens=13))
        return Step("", (PlannedCall("mcp-flaky__echo_text", {"text": "hi"}),), Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5))

    peer_settings = LocalSettings(key="inf-peer-key-000", procfile=TEST_PROCFILE)
    peer = create_app(peer_settings, backend=ScriptedBackend([upstream_step] * 2, model="claude-4-sonnet"),
                      procfile=parse_procfile("", path="empty"))
    peer_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=peer), base_url="http://peer")
    app.state.local.backend = OpenAICompatible("http://peer/v1", "inf-peer-key-000", http=peer_http)
    response = await client.post("/v1/agents/heroku", json={
        "model": "claude-4-sonnet", "messages": [user("echo hi")], "tools": [{"type": "mcp", "name": "echo_text"}],
    })
    payloads = [json.loads(e.data) for e in events_of(response.content) if not e.is_done]
    assert [p["object"] for p in payloads] == ["chat.completion", "tool.completion", "chat.completion"]
    assert payloads[0]["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "mcp-flaky/echo_text"
    assert payloads[1]["choices"][0]["message"]["name"] == "mcp-flaky/echo_text"
    assert payloads[2]["choices"][0]["message"]["content"] == "The server echoed hi."
    assert [p["usage"] for p in payloads] == [
        {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}, {},
        {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    ]
    assert seen == [["mcp-flaky__echo_text"]] * 2


async def test_upstream_rate_limits_and_bad_keys_become_clear_errors_without_the_key(app, client: httpx.AsyncClient) -> None:
    def limited(messages, tools):
        raise BackendError("slow down", status=429)

    peer = create_app(LocalSettings(key="inf-peer-key-000", procfile=Path("unused")),
                      backend=ScriptedBackend([limited]), procfile=parse_procfile("", path="empty"))
    peer_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=peer), base_url="http://peer")
    app.state.local.backend = OpenAICompatible("http://peer", "inf-peer-key-000", http=peer_http)
    response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("x")]})
    assert response.status_code == 429
    assert response.json()["error"]["message"] == "the model upstream answered HTTP 429 (rate limited; retry later): slow down"

    app.state.local.backend = OpenAICompatible("http://peer", "inf-wrong-key-123", http=peer_http)
    response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("x")]})
    assert response.status_code == 502
    message = response.json()["error"]["message"]
    assert message.startswith("the model upstream answered HTTP 401: missing or invalid 'Authorization: Bearer <key>'")
    assert "inf-wrong-key-123" not in response.text and "inf-peer-key-000" not in response.text
