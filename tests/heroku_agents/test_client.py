"""AgentsClient end to end: the spec's stream, HTTP failures, retries, refused connections, cut streams."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from agents_fakes import SSE_HEAD, chunked, raw_http_server, replay_app
from refused_port import refused_port
from spec_examples import SPEC_STREAM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heroku_agents.client import AgentsClient, describe_event, tool_outcome
from heroku_agents.errors import (
    AgentsConnectionError,
    AuthenticationError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    StreamInterruptedError,
)
from heroku_agents.models import AgentRequest, ChatCompletionEvent, ToolCompletionEvent

pytestmark = pytest.mark.anyio

KEY = "inf-123abc9f-2a6c-441a-9f72-e2dc15cdcaaa"
REQUEST = AgentRequest(
    model="claude-4-sonnet",
    messages=[{"role": "user", "content": "sha256 of 'Heroku Rocks'"}],
    tools=[{"type": "mcp", "name": "mcp-python/code_exec_python"}],
)
SHA = "7ebc92bcf8f51f0b623a18f0a357639410a409340043c7a670bb180acd138e6b"


def asgi_client(app: Starlette, **kw: Any) -> AgentsClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://heroku.test")
    return AgentsClient("http://heroku.test/", KEY, http=http, backoff=0, **kw)


async def collect(client: AgentsClient) -> list[ChatCompletionEvent | ToolCompletionEvent]:
    with anyio.fail_after(5):
        return [event async for event in client.stream_agent(REQUEST)]


async def test_spec_stream_yields_three_typed_events_and_the_mcp_result_parsed_back() -> None:
    seen: list[dict[str, Any]] = []
    events = await collect(asgi_client(replay_app(seen)))
    assert [describe_event(e) for e in events] == [
        "chat.completion (tool_calls: mcp-python/code_exec_python)",
        "tool.completion (mcp-python/code_exec_python)",
        "chat.completion (stop)",
    ]
    outcome = tool_outcome(events[1])  # type: ignore[arg-type]
    assert outcome.name == "mcp-python/code_exec_python"
    assert outcome.tool_call_id == "tooluse_GDSgVgflTByFOnL_ZbCrhQ"
    assert outcome.is_error is False
    assert outcome.result is not None and outcome.result["isError"] is False
    assert outcome.structured == {"returncode": 0, "stdout": f"String: Heroku Rocks\nSHA256: {SHA}", "stderr": ""}
    assert events[2].choices[0].message.content.endswith(f"**{SHA}**")
    assert sum(e.usage.total_tokens for e in events if isinstance(e, ChatCompletionEvent)) == 792 + 1009


async def test_agent_request_carries_bearer_key_event_stream_accept_and_the_json_body() -> None:
    seen: list[dict[str, Any]] = []
    await collect(asgi_client(replay_app(seen)))
    [call] = seen
    assert call["headers"]["authorization"] == f"Bearer {KEY}"
    assert call["headers"]["accept"] == "text/event-stream"
    assert call["headers"]["content-type"] == "application/json"
    assert call["body"] == {
        "model": "claude-4-sonnet",
        "messages": [{"role": "user", "content": "sha256 of 'Heroku Rocks'"}],
        "tools": [{"type": "mcp", "name": "mcp-python/code_exec_python"}],
    }


async def test_base_url_with_v1_suffix_still_reaches_the_endpoint_and_no_key_sends_no_header() -> None:
    seen: list[dict[str, Any]] = []
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=replay_app(seen)))
    client = AgentsClient("http://heroku.test/v1", None, http=http)
    assert await client.list_mcp_servers() == []
    assert "authorization" not in seen[0]["headers"]


async def test_heartbeats_comments_unknown_events_and_one_byte_chunks_over_loopback_give_the_same_events() -> None:
    noisy = (
        b": keep-alive\n\nevent: heartbeat\ndata: {}\n\nevent:ping\ndata:ping\n\n"
        + SPEC_STREAM.replace(b"event:message\n", b"event:message\n:heartbeat\n", 1).replace(b"\n", b"\r\n")
    )
    async with raw_http_server([chunked(noisy, 1)]) as url:
        async with AgentsClient(url, KEY) as client:
            events = await collect(client)
    plain = await collect(asgi_client(replay_app([])))
    assert events == plain


async def test_401_raises_authentication_error_naming_inference_key_without_leaking_it() -> None:
    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": {"message": "invalid api key"}}, status_code=401, headers={"x-request-id": "r-9"})

    app = Starlette(routes=[Route("/v1/agents/heroku", refuse, methods=["POST"])])
    with pytest.raises(AuthenticationError) as info:
        await collect(asgi_client(app))
    assert str(info.value).startswith("HTTP 401 from http://heroku.test/v1/agents/heroku, request id r-9: invalid api key")
    assert "INFERENCE_KEY was refused" in str(info.value)
    assert KEY not in str(info.value)
    assert (info.value.status, info.value.exit_code) == (401, 3)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (422, {"error": {"message": "messages[0].content must be a string"}}, "messages[0].content must be a string"),
        (400, {"message": "unknown tool 'pg_nope'"}, "unknown tool 'pg_nope'"),
        (400, "plain text complaint", "plain text complaint"),
    ],
)
async def test_400_and_422_show_the_servers_own_message(status: int, body: Any, message: str) -> None:
    async def reject(request: Request) -> Response:
        content = body if isinstance(body, str) else json.dumps(body)
        return Response(content, status_code=status)

    app = Starlette(routes=[Route("/v1/agents/heroku", reject, methods=["POST"])])
    with pytest.raises(RequestRejectedError) as info:
        await collect(asgi_client(app))
    assert str(info.value) == f"HTTP {status} from http://heroku.test/v1/agents/heroku: {message}"
    assert info.value.exit_code == 4


async def test_503_then_429_are_retried_and_the_third_attempt_streams() -> None:
    answers = [(503, {}), (429, {"retry-after": "1"}), (200, {})]
    attempts: list[int] = []

    async def flaky(request: Request) -> Response:
        status, headers = answers[len(attempts)]
        attempts.append(status)
        if status != 200:
            return JSONResponse({"error": {"message": "busy"}}, status_code=status, headers=headers)
        return Response(SPEC_STREAM, media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/agents/heroku", flaky, methods=["POST"])])
    events = await collect(asgi_client(app))
    assert attempts == [503, 429, 200]
    assert len(events) == 3


@pytest.mark.parametrize(("status", "error"), [(502, ServerError), (429, RateLimitedError)])
async def test_persistent_429_or_5xx_fails_clearly_after_the_bounded_retries(status: int, error: type) -> None:
    attempts: list[int] = []

    async def down(request: Request) -> Response:
        attempts.append(status)
        return JSONResponse({"error": {"message": "upstream unavailable"}}, status_code=status)

    app = Starlette(routes=[Route("/v1/agents/heroku", down, methods=["POST"])])
    with pytest.raises(error) as info:
        await collect(asgi_client(app, retries=2))
    assert len(attempts) == 3
    assert str(info.value).startswith(f"HTTP {status} from http://heroku.test/v1/agents/heroku: upstream unavailable")
    assert "after 3 attempts" in str(info.value)
    assert info.value.exit_code == 6


async def test_connection_refused_names_the_url() -> None:
    with refused_port() as port:
        async with AgentsClient(f"http://127.0.0.1:{port}", KEY) as client:
            with pytest.raises(AgentsConnectionError) as info:
                await collect(client)
    assert str(info.value).startswith(f"cannot reach http://127.0.0.1:{port}/v1/agents/heroku (connection refused)")
    assert info.value.exit_code == 5


async def test_stream_closed_after_the_first_event_says_what_was_received() -> None:
    first_event = SPEC_STREAM.split(b"\n\n")[0] + b"\n\n"
    async with raw_http_server([[SSE_HEAD, first_event]]) as url:
        async with AgentsClient(url, KEY) as client:
            received = []
            with pytest.raises(StreamInterruptedError) as info:
                async for event in client.stream_agent(REQUEST):
                    received.append(event)
    assert len(received) == 1
    assert str(info.value) == (
        f"the stream from {url}/v1/agents/heroku ended before `done` (the server closed the stream); "
        "received: chat.completion (tool_calls: mcp-python/code_exec_python)"
    )
    assert info.value.exit_code == 7


async def test_connection_dropped_inside_a_chunk_is_reported_as_a_broken_stream() -> None:
    parts = chunked(SPEC_STREAM, 700)[:4]  # headers, two whole chunks, and one more: no terminating 0-chunk
    parts[-1] = parts[-1][:-40]  # cut inside the chunk
    async with raw_http_server([parts]) as url:
        async with AgentsClient(url, KEY) as client:
            with pytest.raises(StreamInterruptedError) as info:
                await collect(client)
    assert "connection broke: RemoteProtocolError" in str(info.value)
    assert "received: chat.completion (tool_calls: mcp-python/code_exec_python)" in str(info.value)


async def test_error_event_in_the_stream_raises_with_the_servers_message() -> None:
    first_event = SPEC_STREAM.split(b"\n\n")[0] + b"\n\n"
    error = b'event:error\ndata:{"message":"tool dyno failed to boot"}\n\n'
    async with raw_http_server([[SSE_HEAD, first_event, error]]) as url:
        async with AgentsClient(url, KEY) as client:
            with pytest.raises(StreamInterruptedError) as info:
                await collect(client)
    assert "(the server sent an error event: tool dyno failed to boot)" in str(info.value)


async def test_chat_completions_plain_and_streamed_and_mcp_server_listing() -> None:
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "system_fingerprint": "f",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]},
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "system_fingerprint": "f",
         "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
    ]
    answer = {"id": "c2", "object": "chat.completion", "created": 1, "model": "m", "system_fingerprint": "f",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello", "refusal": None},
                           "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    bodies: list[dict[str, Any]] = []

    async def chat(request: Request) -> Response:
        body = json.loads(await request.body())
        bodies.append(body)
        if body["stream"]:
            frames = b"".join(b"event:message\ndata:" + json.dumps(c).encode() + b"\n\n" for c in chunks)
            return Response(frames + b"event:done\ndata:[DONE]\n\n", media_type="text/event-stream")
        return JSONResponse(answer)

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    client = asgi_client(app)
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    response = await client.chat_completion(request)
    assert (response.choices[0].message.content, response.usage.total_tokens) == ("Hello", 4)
    with anyio.fail_after(5):
        streamed = [c async for c in client.stream_chat_completion(request)]
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == "Hello"
    assert [b["stream"] for b in bodies] == [False, True]


async def test_chat_completion_accepts_openai_style_null_content_and_missing_fingerprint() -> None:
    answer = {"id": "c3", "object": "chat.completion", "created": 1, "model": "gpt",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
                  {"id": "call_1", "type": "function", "function": {"name": "mcp-postgres__pg_diagnose", "arguments": "{}"}}]},
                  "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}

    async def chat(request: Request) -> Response:
        return JSONResponse(answer)

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    response = await asgi_client(app).chat_completion({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]})
    message = response.choices[0].message
    assert (message.content, message.tool_calls[0].function.name) == ("", "mcp-postgres__pg_diagnose")
    assert response.system_fingerprint == ""
