"""`python -m heroku_agents.local` as a user runs it: prints its URL and key, serves, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import anyio
import httpx
import pytest
from local_support import ROOT, TEST_PROCFILE

pytestmark = pytest.mark.anyio


async def test_the_command_prints_url_and_key_then_serves_the_procfile_servers() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFERENCE_", "UPSTREAM_INFERENCE_", "LOCAL_AGENTS_"))}
    process = await anyio.open_process(
        [sys.executable, "-m", "heroku_agents.local", "--procfile", str(TEST_PROCFILE), "--port", "0", "--log-level", "warning"],
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
            assert lines["INFERENCE_URL"].startswith("http://127.0.0.1:")
            assert lines["INFERENCE_KEY"].startswith("inf-") and len(lines["INFERENCE_KEY"]) == 40
            async with httpx.AsyncClient(base_url=lines["INFERENCE_URL"], headers={"Authorization": f"Bearer {lines['INFERENCE_KEY']}"}) as http:
                assert (await http.get("/v1/mcp/servers", headers={"Authorization": "Bearer nope"})).status_code == 401
                response = await http.post("/v1/agents/heroku", json={
                    "model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Echo the text please"}],
                    "tools": [{"type": "mcp", "name": "echo_text"}],
                })
                assert response.status_code == 200
                assert response.text.count("event:message\n") == 3 and response.text.endswith("event:done\ndata:[DONE]\n\n")
                servers = (await http.get("/v1/mcp/servers")).json()
                assert [(s["process_type"], s["primitives_status"]) for s in servers] == [("mcp-flaky", "synced"), ("mcp-broken", "error")]
    finally:
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(15):
            assert await process.wait() == 0


def test_help_describes_the_endpoints_and_options() -> None:
    result = subprocess.run([sys.executable, "-m", "heroku_agents.local", "--help"], capture_output=True, text=True, check=True, cwd=ROOT)
    for text in ("/v1/agents/heroku", "--procfile", "--port", "--warm", "offline planner"):
        assert text in result.stdout
