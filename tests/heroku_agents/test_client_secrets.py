"""Whatever an upstream or a proxy sends back, the driver's client never shows the key it presented."""

from __future__ import annotations

import json

import httpx
import pytest
from agents_fakes import raw_http_server

from heroku_agents.client import AgentsClient
from heroku_agents.errors import PlatformAPIError, ServerError, StreamInterruptedError
from heroku_agents.registration.platform import _call

pytestmark = pytest.mark.anyio

KEY = "custom-proxy-key-0123456789"  # not Heroku's inf-<uuid> shape: only the key itself can find it
REQUEST = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}], "tools": []}


def _response(status: int, headers: dict[str, str], body: bytes) -> list[bytes]:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return [b"HTTP/1.1 %d X\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (status, head.encode(), len(body), body)]


def _stream(*frames: str) -> list[bytes]:
    return _response(200, {"Content-Type": "text/event-stream"}, "".join(frames).encode())


async def test_a_request_id_header_quoting_the_key_is_masked_in_the_error() -> None:
    answer = _response(503, {"Content-Type": "application/json", "Request-Id": f"req-{KEY}"}, b'{"message": "down"}')
    async with raw_http_server([answer]) as url, AgentsClient(url, KEY, retries=0) as client:
        with pytest.raises(ServerError) as raised:
            async for _ in client.stream_agent(REQUEST):
                pass
    assert KEY not in str(raised.value) and KEY not in (raised.value.request_id or "")


async def test_an_sse_error_event_quoting_the_key_is_masked() -> None:
    answer = _stream(f"event:error\ndata:{json.dumps({'message': f'bad key {KEY}'})}\n\n")
    async with raw_http_server([answer]) as url, AgentsClient(url, KEY, retries=0) as client:
        with pytest.raises(StreamInterruptedError) as raised:
            async for _ in client.stream_agent(REQUEST):
                pass
    assert "bad key ********" in str(raised.value) and KEY not in str(raised.value)


async def test_chat_completion_content_quoting_the_key_reaches_the_caller_masked() -> None:
    completion = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "claude-4-sonnet", "system_fingerprint": "heroku-inf-1",
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"your key is {KEY}"}, "finish_reason": "stop"}],
    }
    answer = _stream(f"event:message\ndata:{json.dumps(completion)}\n\n", "event:done\ndata:[DONE]\n\n")
    async with raw_http_server([answer]) as url, AgentsClient(url, KEY, retries=0) as client:
        events = [event async for event in client.stream_agent(REQUEST)]
    assert events and all(KEY not in event.model_dump_json() for event in events)
    assert "your key is ********" in events[0].model_dump_json()


async def test_a_platform_api_request_id_quoting_heroku_api_key_is_masked() -> None:
    answer = _response(403, {"Content-Type": "application/json", "Request-Id": f"id-{KEY}"}, b'{"id": "forbidden", "message": "no"}')
    async with raw_http_server([answer]) as url, httpx.AsyncClient() as http:
        with pytest.raises(PlatformAPIError) as raised:
            await _call(http, "GET", f"{url}/apps/x", KEY)
    assert KEY not in str(raised.value) and KEY not in (raised.value.request_id or "")
