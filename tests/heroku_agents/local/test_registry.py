"""The registry on its own: servers that hang or crash at start, sync status, name resolution; settings from env."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from local_support import KEY, TEST_PROCFILE, events_of, user

from heroku_agents.local.app import create_app
from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step
from heroku_agents.local.process import LIVE_PIDS
from heroku_agents.local.registry import Registry
from heroku_agents.local.settings import LocalSettings
from heroku_agents.procfile import parse_procfile

pytestmark = pytest.mark.anyio

PROCFILE = parse_procfile(
    "mcp-flaky: python flaky_server.py\n"
    "mcp-hung: python flaky_server.py --hang-on-start\n"
    "mcp-other: python flaky_server.py\n",
    path=str(TEST_PROCFILE),
)


async def test_a_hanging_server_errors_after_the_timeout_and_the_others_sync() -> None:
    settings = LocalSettings(key=KEY, procfile=TEST_PROCFILE, registry_timeout=4)
    registry = Registry(PROCFILE, settings)
    assert [e.primitives_status for e in registry.servers.values()] == ["syncing"] * 3
    with anyio.fail_after(20):
        await registry.sync_all()
    statuses = {name: (e.primitives_status, e.error) for name, e in registry.servers.items()}
    assert statuses == {
        "mcp-flaky": ("synced", None),
        "mcp-hung": ("error", "tools/list did not answer within 4s"),
        "mcp-other": ("synced", None),
    }
    assert LIVE_PIDS == set()
    flaky, tool = registry.resolve("echo_text")
    assert (flaky.process.name, tool.namespaced_name) == ("mcp-flaky", "mcp-flaky/echo_text")
    assert registry.resolve("mcp-other/echo_text")[0].process.name == "mcp-other"
    assert registry.resolve("mcp-hung/echo_text") is None and registry.resolve("mcp-flaky/nope") is None


async def test_a_backend_bug_is_a_500_before_the_stream_and_an_error_then_done_within_it() -> None:
    settings = LocalSettings(key=KEY, procfile=TEST_PROCFILE)
    app = create_app(settings, procfile=parse_procfile("", path="none"))

    def buggy(messages, tools):
        raise KeyError("oops")

    async with app.router.lifespan_context(app):
        app.state.local.backend = ScriptedBackend([buggy])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}) as client:
            response = await client.post("/v1/agents/heroku", json={"model": "m", "messages": [user("x")]})
            assert response.status_code == 500
            assert response.json()["error"]["message"] == "the local endpoint failed (KeyError); see its log"
            app.state.local.backend = ScriptedBackend([Step("", (PlannedCall("code_exec_python", {"code": "print(1)"}),)), buggy])
            response = await client.post("/v1/agents/heroku", json={
                "model": "m", "messages": [user("x")], "tools": [{"type": "heroku_tool", "name": "code_exec_python"}]})
    events = events_of(response.content)
    assert [e.event for e in events] == ["message", "message", "error", "done"]
    assert json.loads(events[2].data) == {"message": "the local endpoint failed mid-run (KeyError); see its log", "type": "internal_error"}


def test_settings_from_env_pick_the_upstream_and_the_child_environment() -> None:
    env = {
        "INFERENCE_URL": "https://us.inference.heroku.com", "INFERENCE_KEY": "inf-heroku-key", "INFERENCE_MODEL_ID": "claude-4-sonnet",
        "DATABASE_URL": "postgres://u:pw@h/db", "PG_CHECK_LIMITS": "{}", "HEROKU_API_KEY": "hk-123456", "AWS_SECRET": "nope",
        "LOCAL_AGENTS_KEY": "inf-local-key", "LOCAL_AGENTS_WARM_POOL": "2",
    }
    settings = LocalSettings.from_env(env)
    assert (settings.upstream_url, settings.upstream_key, settings.upstream_model) == (
        "https://us.inference.heroku.com", "inf-heroku-key", "claude-4-sonnet")
    assert (settings.key, settings.warm_pool) == ("inf-local-key", 2)
    assert settings.child_env == {"DATABASE_URL": "postgres://u:pw@h/db", "PG_CHECK_LIMITS": "{}", "HEROKU_API_KEY": "hk-123456"}
    assert set(settings.secrets) == {"inf-local-key", "inf-heroku-key", "postgres://u:pw@h/db", "hk-123456"}
    upstream = LocalSettings.from_env({**env, "UPSTREAM_INFERENCE_URL": "http://127.0.0.1:9000", "UPSTREAM_INFERENCE_KEY": "k2"})
    assert (upstream.upstream_url, upstream.upstream_key, upstream.upstream_model) == ("http://127.0.0.1:9000", "k2", None)
    bare = LocalSettings.from_env({})
    assert bare.upstream_url is None and bare.key.startswith("inf-") and bare.child_env == {}
    assert json.loads(json.dumps(bare.model_dump(mode="json")))["max_steps"] == 12


async def test_a_request_waits_only_for_the_servers_it_names() -> None:
    settings = LocalSettings(key=KEY, procfile=TEST_PROCFILE, registry_timeout=30)
    app = create_app(settings, procfile=PROCFILE)
    async with app.router.lifespan_context(app):
        app.state.local.backend = ScriptedBackend([Step("", (PlannedCall("mcp-flaky/echo_text", {}),)), Step("ok")])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}) as client:
            with anyio.fail_after(10):  # mcp-hung is still "syncing" (for 30 s) all along
                response = await client.post("/v1/agents/heroku", json={
                    "model": "m", "messages": [user("x")], "tools": [{"type": "mcp", "name": "mcp-flaky/echo_text"}]})
                servers = (await client.get("/v1/mcp/servers")).json()
    assert [e.event for e in events_of(response.content)] == ["message", "message", "message", "done"]
    assert {s["process_type"]: s["primitives_status"] for s in servers}["mcp-hung"] == "syncing"
