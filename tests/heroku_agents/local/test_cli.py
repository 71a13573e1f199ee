"""`python -m heroku_agents.local` as a user runs it: prints its URL and key, serves, stops cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from local_support import ROOT, local_command

pytestmark = pytest.mark.anyio


async def test_the_command_prints_url_and_key_then_serves_the_procfile_servers() -> None:
    async with local_command("--log-level", "warning") as command:
        assert command.url.startswith("http://127.0.0.1:")
        assert command.key.startswith("inf-") and len(command.key) == 40
        async with command.http() as http:
            assert (await http.get("/v1/mcp/servers", headers={"Authorization": "Bearer nope"})).status_code == 401
            response = await http.post("/v1/agents/heroku", json={
                "model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Echo the text please"}],
                "tools": [{"type": "mcp", "name": "echo_text"}],
            })
            assert response.status_code == 200
            assert response.text.count("event:message\n") == 3 and response.text.endswith("event:done\ndata:[DONE]\n\n")
            servers = (await http.get("/v1/mcp/servers")).json()
            assert [(s["process_type"], s["primitives_status"]) for s in servers] == [("mcp-flaky", "synced"), ("mcp-broken", "error")]
    assert command.returncode == 0


def test_help_describes_the_endpoints_and_options() -> None:
    result = subprocess.run([sys.executable, "-m", "heroku_agents.local", "--help"], capture_output=True, text=True, check=True, cwd=ROOT)
    for text in ("/v1/agents/heroku", "--procfile", "--port", "--warm", "offline planner"):
        assert text in result.stdout
