"""The local endpoint's stderr log never carries the upstream URL's password or key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import anyio
import httpx
import pytest
from local_support import ROOT, TEST_PROCFILE

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
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INFERENCE_", "UPSTREAM_INFERENCE_", "LOCAL_AGENTS_"))}
        env |= {"UPSTREAM_INFERENCE_URL": upstream.replace("://", f"://user:{UPSTREAM_PASSWORD}@"),
                "UPSTREAM_INFERENCE_KEY": UPSTREAM_KEY, "UPSTREAM_INFERENCE_MODEL_ID": "claude-4-sonnet"}
        process = await anyio.open_process(
            [sys.executable, "-m", "heroku_agents.local", "--procfile", str(TEST_PROCFILE), "--port", "0"],  # default INFO log
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            with anyio.fail_after(30):
                printed = b""
                async for chunk in process.stdout:
                    printed += chunk
                    if printed.count(b"\n") >= 2:
                        break
                lines = dict(line.split("=", 1) for line in printed.decode().splitlines())
                async with httpx.AsyncClient(base_url=lines["INFERENCE_URL"], headers={"Authorization": f"Bearer {lines['INFERENCE_KEY']}"}) as http:
                    response = await http.post("/v1/chat/completions", json={
                        "model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}]})
            assert response.status_code >= 400  # the upstream refused: the request did reach it
        finally:
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(15):
                await process.wait()
            stderr = b""
            async for chunk in process.stderr:
                stderr += chunk
            stderr = stderr.decode()
    assert "127.0.0.1" in stderr  # the log does talk about the upstream...
    assert UPSTREAM_PASSWORD not in stderr and UPSTREAM_KEY not in stderr  # ...never with its secrets
    assert UPSTREAM_PASSWORD not in response.text and UPSTREAM_KEY not in response.text
