"""The local endpoint over HTTP: Heroku's framing byte for byte, auth, validation, /v1/mcp/servers."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from local_support import KEY, events_of, user

from heroku_agents.local.backends import OfflinePlanner, PlannedCall, ScriptedBackend, Step
from heroku_agents.models import Usage, parse_event

pytestmark = pytest.mark.anyio


def _normalise(body: bytes) -> bytes:
    body = re.sub(rb'"id":"chatcmpl-[0-9a-f]{21}"', b'"id":"chatcmpl-ID"', body)
    body = re.sub(rb'"created":\d+', b'"created":0', body)
    body = re.sub(rb'"system_fingerprint":"scripted-[0-9a-z]{7}"', b'"system_fingerprint":"FP"', body)
    return re.sub(rb'\\\\\\"pid\\\\\\": \d+|\\"pid\\":\d+', b"PID", body)


EXPECTED_STREAM = (
    b'event:message\n'
    b'data:{"id":"chatcmpl-ID","object":"chat.completion","created":0,"model":"claude-4-sonnet","system_fingerprint":"FP","choices":[{"index":0,"message":{"role":"assistant","content":"I\'ll echo it.","refusal":null,"tool_calls":[{"id":"tooluse_GDSgVgflTByFOnL_ZbCrhQ","type":"function","function":{"name":"mcp-flaky/echo_text","arguments":"{\\"text\\":\\"Heroku Rocks\\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":629,"completion_tokens":163,"total_tokens":792}}\n'
    b'\n'
    b'event:message\n'
    b'data:{"id":"chatcmpl-ID","object":"tool.completion","created":0,"system_fingerprint":"FP","choices":[{"index":0,"message":{"role":"tool","content":"Tool \'mcp-flaky/echo_text\' returned result: {\\"content\\":[{\\"type\\":\\"text\\",\\"text\\":\\"{\\\\n  \\\\\\"text\\\\\\": \\\\\\"Heroku Rocks\\\\\\",\\\\n  PID\\\\n}\\"}],\\"structuredContent\\":{\\"text\\":\\"Heroku Rocks\\",PID},\\"isError\\":false}","refusal":null,"tool_call_id":"tooluse_GDSgVgflTByFOnL_ZbCrhQ","name":"mcp-flaky/echo_text"},"finish_reason":""}],"usage":{}}\n'
    b'\n'
    b'event:message\n'
    b'data:{"id":"chatcmpl-ID","object":"chat.completion","created":0,"model":"claude-4-sonnet","system_fingerprint":"FP","choices":[{"index":0,"message":{"role":"assistant","content":"It said Heroku Rocks.","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":947,"completion_tokens":62,"total_tokens":1009}}\n'
    b'\n'
    b'event:done\n'
    b'data:[DONE]\n'
    b'\n'
)


async def test_agent_stream_matches_heroku_framing_byte_for_byte(app, client: httpx.AsyncClient) -> None:
    backend = ScriptedBackend([
        Step("I'll echo it.", (PlannedCall("mcp-flaky/echo_text", {"text": "Heroku Rocks"}, "tooluse_GDSgVgflTByFOnL_ZbCrhQ"),),
             Usage(prompt_tokens=629, completion_tokens=163, total_tokens=792)),
        Step("It said Heroku Rocks.", usage=Usage(prompt_tokens=947, completion_tokens=62, total_tokens=1009)),
    ])
    app.state.local.backend = backend
    response = await client.post("/v1/agents/heroku", json={
        "model": "claude-4-sonnet", "messages": [user("Echo 'Heroku Rocks'.")], "tools": [{"type": "mcp", "name": "echo_text"}],
    })
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert _normalise(response.content) == EXPECTED_STREAM
    events = [parse_event(e.data) for e in events_of(response.content) if not e.is_done]
    assert len({e.id for e in events}) == 1 and len({e.system_fingerprint for e in events}) == 1
    backend.assert_complete()
    # the model saw the tool's result as the next message, in Heroku's content form
    tool_message = backend.calls[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"].startswith("Tool 'mcp-flaky/echo_text' returned result: {")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer inf-wrong"}, {"Authorization": KEY}])
async def test_requests_without_the_key_get_401(app, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as anonymous:
        for method, path in (("POST", "/v1/agents/heroku"), ("GET", "/v1/mcp/servers"), ("POST", "/v1/chat/completions")):
            response = await anonymous.request(method, path, headers=headers, json={})
            assert response.status_code == 401
            assert "Authorization: Bearer <key>" in response.json()["error"]["message"]
            assert KEY not in response.text


async def test_available_models_needs_no_key(app) -> None:
    app.state.local.backend = OfflinePlanner()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as anonymous:
        response = await anonymous.get("/available-models")
    assert response.status_code == 200
    assert response.json() == [{"model_id": "offline-planner", "type": ["text-to-text"], "regions": ["local"]}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
         "messages[0].content: Input should be a valid string"),
        ({"messages": [user("hi")]}, "model: Field required"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "mcp", "name": "x", "runtime_params": {"ttl_seconds": 0}}]},
         "tools[0].runtime_params.ttl_seconds: Input should be greater than or equal to 1"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "heroku_tool", "name": "rm_rf"}]},
         "tools[0].name: unknown heroku_tool 'rm_rf'; Heroku's built-ins are dyno_run_command"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "heroku_tool", "name": "pdf_to_markdown"}]},
         "tools[0].name: 'pdf_to_markdown' is a Heroku built-in the local endpoint does not run"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "heroku_tool", "name": "postgres_get_schema"}]},
         "tools[0].runtime_params.target_app_name: postgres_get_schema requires runtime_params.target_app_name"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "mcp", "name": "echo_text"}, {"type": "mcp", "name": "nope"}]},
         "tools[1].name: no registered MCP server has a tool named 'nope'; registered: mcp-flaky/crash_now"),
        ({"model": "m", "messages": [user("hi")], "tools": [{"type": "mcp", "name": "mcp-broken/anything"}]},
         "tools[0].name: MCP server 'mcp-broken' failed to sync its tools"),
    ],
)
async def test_bad_requests_get_400_naming_the_field(client: httpx.AsyncClient, body: dict, message: str) -> None:
    response = await client.post("/v1/agents/heroku", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message), response.json()


async def test_a_body_that_is_not_json_gets_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/agents/heroku", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("the request body is not valid JSON")


async def test_mcp_servers_lists_each_mcp_process_type_in_herokus_record_shape(client: httpx.AsyncClient, settings) -> None:
    records = (await client.get("/v1/mcp/servers")).json()
    assert [r["process_type"] for r in records] == ["mcp-flaky", "mcp-broken"]
    flaky, broken = records
    assert list(flaky) == [
        "id", "app_id", "process_type", "process_command", "created_at", "updated_at", "namespace",
        "server_status", "primitives_status", "tools",
    ]
    assert (flaky["namespace"], flaky["server_status"], flaky["primitives_status"], flaky["app_id"]) == (
        "mcp-flaky", "registered", "synced", settings.app_id)
    assert flaky["process_command"] == "python flaky_server.py"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", flaky["created_at"])
    echo = next(t for t in flaky["tools"] if t["name"] == "echo_text")
    assert echo["namespaced_name"] == "mcp-flaky/echo_text"
    assert echo["annotations"] == {"readOnlyHint": True, "openWorldHint": False}
    assert echo["input_schema"]["properties"]["text"]["type"] == "string"
    assert [t["name"] for t in flaky["tools"]] == ["echo_text", "sleep_for", "crash_now"]
    assert (broken["primitives_status"], broken["tools"]) == ("error", [])
    assert "refusing to start (--crash-on-start)" in broken["error"]


async def test_unknown_request_fields_are_ignored_like_heroku(app, client: httpx.AsyncClient) -> None:
    app.state.local.backend = ScriptedBackend([Step("hello")])
    response = await client.post("/v1/agents/heroku", json={
        "model": "m", "messages": [user("hi")], "stream": True, "session_id": "abc", "metadata": {"a": 1},
    })
    events = events_of(response.content)
    assert [e.event for e in events] == ["message", "done"]
    assert json.loads(events[0].data)["choices"][0]["message"]["content"] == "hello"
