"""register() end to end, and polling /v1/mcp/servers of the local endpoint and of stand-ins until synced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from registration_fakes import API_KEY, APP_ID, FakePlatform, platform_http, toy, write_procfile
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heroku_agents.client import AgentsClient
from heroku_agents.errors import RegistrationError, RegistrationTimeout
from heroku_agents.local.serve import serve_local
from heroku_agents.registration import register, wait_until_synced

pytestmark = pytest.mark.anyio


async def test_register_against_the_local_endpoint_polls_until_synced_and_finds_no_difference(tmp_path: Path) -> None:
    procfile = write_procfile(tmp_path, toy("echo"))
    lines: list[str] = []
    with anyio.fail_after(60):
        result = await register(procfile=procfile, config_dir=None, env={}, poll_interval=0.05, poll_timeout=30,
                                out=lines.append)
    assert result.local and result.endpoint.startswith("http://127.0.0.1:")
    assert [d.clean for d in result.diffs] == [True]
    assert lines[0] == "preflight ok: 1 server(s), 2 tool(s); configs checked: none"
    assert lines[1] == "  mcp-echo: echo, add"
    assert lines[2].startswith("no --app: skipping the add-on attachment")
    assert lines[3].startswith("INFERENCE_URL is not set: started the local Agents endpoint")
    assert "  mcp-echo: registered/synced (2 tools)" in lines
    assert lines[-1] == f"registered and synced at {result.endpoint}: mcp-echo (2 tools)"


def servers_app(states: list[list[dict[str, Any]]]) -> Starlette:
    """A stand-in `/v1/mcp/servers` answering each poll with the next state (the last repeats)."""
    polls = {"n": 0}

    async def servers(request: Request) -> Response:
        state = states[min(polls["n"], len(states) - 1)]
        polls["n"] += 1
        return JSONResponse(state)

    return Starlette(routes=[Route("/v1/mcp/servers", servers, methods=["GET"])])


def record(status: str, primitives: str, tools: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    return {"id": "15ac9382-5804-49ac-bf94-8bab2f4b62ce", "app_id": APP_ID, "process_type": "mcp-echo",
            "process_command": "python toy_server.py", "created_at": "2025-05-07T16:44:34.259Z",
            "updated_at": "2025-05-07T16:44:38.291Z", "namespace": "acute-partridge", "server_status": status,
            "primitives_status": primitives,
            "tools": [{"name": n, "namespaced_name": f"mcp-echo/{n}", "description": d, "input_schema": s,
                       "annotations": {}} for n, d, s in tools]}


async def test_register_with_app_attaches_reads_config_vars_polls_heroku_and_reports_tool_differences(tmp_path: Path) -> None:
    stale = [("echo", "An older description.", {"type": "object", "properties": {"text": {}}, "required": ["text"]}),
             ("shout", "Removed since.", {"type": "object", "properties": {}})]
    states = [[], [record("registered", "syncing", [])], [record("registered", "synced", stale)]]
    lines: list[str] = []
    async with serve_local(servers_app(states)) as inference_url:
        fake = FakePlatform(attached=False, config={"INFERENCE_URL": inference_url, "INFERENCE_KEY": "inf-k"})
        with anyio.fail_after(60), pytest.raises(RegistrationError) as info:
            await register(procfile=write_procfile(tmp_path, toy("echo")), config_dir=None,
                           env={"HEROKU_API_KEY": API_KEY, "HEROKU_API_URL": "http://api.test"}, app="my-mcp-app",
                           addon="claude-4-sonnet-acute-41518", poll_interval=0.01, out=lines.append,
                           platform_http=platform_http(fake))
    assert fake.problems == []
    assert [c[:2] for c in fake.calls] == [("GET", "/apps/my-mcp-app/addon-attachments"), ("POST", "/addon-attachments"),
                                           ("GET", "/apps/my-mcp-app/config-vars")]
    assert lines[2:6] == [
        "claude-4-sonnet-acute-41518 attached to my-mcp-app as INFERENCE (config vars INFERENCE_URL, INFERENCE_KEY, INFERENCE_MODEL_ID)",
        "  mcp-echo: not listed",
        "  mcp-echo: registered/syncing (0 tools)",
        "  mcp-echo: registered/synced (2 tools)",
    ]
    assert str(info.value) == (
        "registered tools differ from the local servers:\n"
        "  - mcp-echo: registered but not served locally: shout\n"
        "  - mcp-echo: served locally but not registered: add\n"
        "  - mcp-echo: echo: description differs (redeploy, then wait for the sync)"
    )


async def test_polling_is_bounded_and_a_sync_error_fails_at_once() -> None:
    async with serve_local(servers_app([[record("registered", "syncing", [])]])) as url:
        async with AgentsClient(url, None) as client:
            with anyio.fail_after(10), pytest.raises(RegistrationTimeout) as info:
                await wait_until_synced(client, ["mcp-echo", "mcp-other"], timeout=0.2, interval=0.05)
    assert str(info.value).startswith(
        "after 0s still waiting for mcp-echo (registered/syncing (0 tools)), mcp-other (not listed)")
    async with serve_local(servers_app([[record("registered", "error", [])]])) as url:
        async with AgentsClient(url, None) as client:
            with anyio.fail_after(10), pytest.raises(RegistrationError, match="tool sync failed for mcp-echo"):
                await wait_until_synced(client, ["mcp-echo"], timeout=30, interval=0.05)


async def test_app_without_heroku_api_key_fails_before_starting_any_server(tmp_path: Path) -> None:
    with anyio.fail_after(5), pytest.raises(RegistrationError) as info:
        await register(procfile=tmp_path / "absent", config_dir=None, env={}, app="my-mcp-app")
    assert str(info.value) == "--app needs HEROKU_API_KEY to attach the add-on: `export HEROKU_API_KEY=$(heroku auth:token)`"
    assert info.value.exit_code == 10
