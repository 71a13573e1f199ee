"""The driver's client: an INFERENCE_KEY of any shape is masked when an error quotes it."""

from __future__ import annotations

import json

import pytest
from agents_fakes import raw_http_server

from heroku_agents.client import AgentsClient
from heroku_agents.errors import AuthenticationError, ServerError

pytestmark = pytest.mark.anyio

KEY = "custom-proxy-key-0123456789"  # not Heroku's inf-<uuid> shape: only the key itself can find it
REQUEST = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}], "tools": []}


def _answer(status: int, reason: str) -> list[bytes]:
    body = json.dumps({"error": {"message": f"key {KEY} is not valid here"}}).encode()
    return [b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, reason.encode(), len(body), body)]


@pytest.mark.parametrize(("status", "reason", "error"), [(401, "Unauthorized", AuthenticationError), (503, "Unavailable", ServerError)])
async def test_an_error_answer_quoting_the_key_back_is_raised_with_the_key_masked(status: int, reason: str, error: type) -> None:
    async with raw_http_server([_answer(status, reason)]) as url:
        async with AgentsClient(url, KEY, retries=0) as client:
            with pytest.raises(error) as raised:
                async for _ in client.stream_agent(REQUEST):
                    pass
    assert "key ******** is not valid here" in str(raised.value)
    assert KEY not in str(raised.value) and KEY not in raised.value.body_excerpt and KEY not in raised.value.server_message
