"""The optional warm pool: idle processes are reused, and a process that failed is replaced."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from local_support import KEY, TEST_PROCFILE, events_of, user

from heroku_agents.local.app import create_app
from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step
from heroku_agents.local.process import LIVE_PIDS
from heroku_agents.local.settings import LocalSettings

pytestmark = pytest.mark.anyio


def _structured(body: bytes) -> list[dict]:
    out = []
    for event in events_of(body):
        if not event.is_done and json.loads(event.data)["object"] == "tool.completion":
            result = json.loads(json.loads(event.data)["choices"][0]["message"]["content"].split(" returned result: ", 1)[1])
            out.append(result.get("structuredContent") or result)
    return out


async def test_warm_processes_serve_calls_and_a_crashed_one_is_replaced(pid_dir) -> None:
    settings = LocalSettings(key=KEY, procfile=TEST_PROCFILE, warm_pool=1, child_env={"FLAKY_PID_DIR": str(pid_dir)})
    app = create_app(settings)
    state = app.state.local
    async with app.router.lifespan_context(app):
        with anyio.fail_after(30):
            await state.ready.wait()
            await state.executor.pool.wait_ready()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as client:
            async def run(*calls: PlannedCall) -> list[dict]:
                state.backend = ScriptedBackend([Step("", calls), Step("done")])
                response = await client.post("/v1/agents/heroku", json={
                    "model": "m", "messages": [user("x")], "tools": [{"type": "mcp", "name": "echo_text"}, {"type": "mcp", "name": "crash_now"}],
                })
                return _structured(response.content)

            first, second = await run(PlannedCall("mcp-flaky/echo_text", {"text": "a"}), PlannedCall("mcp-flaky/echo_text", {"text": "b"}))
            assert first["pid"] == second["pid"]  # one warm process served both calls
            (crash,) = await run(PlannedCall("mcp-flaky/crash_now", {}))
            assert crash["isError"] is True
            assert "crashing on purpose" in crash["content"][0]["text"]  # the warm process's stderr reason is kept
            with anyio.fail_after(30):
                await state.executor.pool.wait_ready()
            (after,) = await run(PlannedCall("mcp-flaky/echo_text", {"text": "c"}))
            assert after["pid"] != first["pid"]
            assert (state.executor.stats.warm, state.executor.stats.cold) == (4, 0)
    assert LIVE_PIDS == set()
