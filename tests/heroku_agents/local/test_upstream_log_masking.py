"""The local endpoint's stderr log never carries the upstream URL's password or key."""

from __future__ import annotations

import json
import sys

import pytest
from local_support import ROOT, local_command

sys.path.insert(0, str(ROOT / "tests" / "heroku_agents"))
from agents_fakes import raw_http_server

pytestmark = pytest.mark.anyio

UPSTREAM_PASSWORD = "Up-Url-Pw-5150"
UPSTREAM_KEY = "upstream-key-8675309"


async def test_requests_to_an_upstream_url_with_a_password_are_logged_without_it() -> None:
    body = json.dumps({"error": {"message": "invalid api key"}}).encode()
    refusal = [b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
               % (len(body), body)]
    async with raw_http_server([refusal]) as upstream:  # stands in for an OpenAI-compatible model endpoint
        env = {"UPSTREAM_INFERENCE_URL": upstream.replace("://", f"://user:{UPSTREAM_PASSWORD}@"),
               "UPSTREAM_INFERENCE_KEY": UPSTREAM_KEY, "UPSTREAM_INFERENCE_MODEL_ID": "claude-4-sonnet"}
        async with local_command(env=env) as command, command.http() as http:  # default INFO log
            response = await http.post("/v1/chat/completions", json={
                "model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code >= 400  # the upstream refused: the request did reach it
    stderr = command.stderr.decode()
    assert "127.0.0.1" in stderr  # the log does talk about the upstream...
    assert UPSTREAM_PASSWORD not in stderr and UPSTREAM_KEY not in stderr  # ...never with its secrets
    assert UPSTREAM_PASSWORD not in response.text and UPSTREAM_KEY not in response.text
