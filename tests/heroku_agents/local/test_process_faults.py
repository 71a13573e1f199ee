"""Tool processes under faults: no orphan after a cancel at any moment, a crash noticed at once, reasons kept.

Real `/bin/sh` + Python processes; survivors are found by a unique tag in their command line.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import pytest
from local_support import TEST_PROCFILE
from orphan_probe import SERVER_DIR, cancel_starts_at_random, survivors

from heroku_agents.local.process import LIVE_PIDS, ServerFailed, child_environment, mcp_client

pytestmark = [pytest.mark.anyio, pytest.mark.faults]


async def test_a_cancel_at_any_moment_of_a_start_leaves_no_process_behind() -> None:
    tag = uuid.uuid4().hex
    await cancel_starts_at_random(tag, rounds=30, seed=12)
    assert await survivors(tag) == []
    assert LIVE_PIDS == set()


async def test_a_server_that_crashes_while_its_child_holds_stdout_fails_at_once_with_its_stderr() -> None:
    tag = uuid.uuid4().hex
    # The background sleep inherits stdout: the pipe stays open after the server itself is gone.
    command = f"python -c 'import time; time.sleep(300)' {tag} & exec python flaky_server.py {tag}"
    with anyio.fail_after(20):  # far below the 120 s read timeout a hung conversation would wait for
        with pytest.raises(ServerFailed) as failed:
            async with mcp_client(command, env=child_environment({}), cwd=SERVER_DIR, timeout=120) as (client, _):
                await client.call_tool("crash_now", {})  # type: ignore[attr-defined]
    assert "crashing on purpose" in failed.value.stderr
    assert await survivors(tag) == []


async def test_calls_past_the_process_cap_wait_in_a_queue_that_the_stream_mentions(pid_dir: Path) -> None:
    import httpx
    from local_support import KEY, user

    from heroku_agents.local.app import create_app
    from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step
    from heroku_agents.local.settings import LocalSettings

    settings = LocalSettings(key=KEY, procfile=TEST_PROCFILE, max_tool_processes=2, child_env={"FLAKY_PID_DIR": str(pid_dir)})
    app = create_app(settings)
    state = app.state.local
    bodies: list[bytes] = []
    async with app.router.lifespan_context(app):
        with anyio.fail_after(30):
            await state.ready.wait()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as client:

            async def run() -> None:
                response = await client.post("/v1/agents/heroku", json={
                    "model": "m", "messages": [user("x")], "tools": [{"type": "mcp", "name": "sleep_for"}]})
                bodies.append(response.content)

            # A backend shared by the runs: each takes the next scripted step, so every run calls the tool once.
            state.backend = ScriptedBackend([Step("", (PlannedCall("mcp-flaky/sleep_for", {"seconds": 0.3}),))] * 6
                                            + [Step("done")] * 6)
            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    for _ in range(6):
                        tg.start_soon(run)
    stats = state.executor.stats
    assert (stats.calls, stats.peak_running) == (6, 2)
    assert stats.queued >= 1
    assert any(b": mcp-flaky/sleep_for is queued: all 2 tool process slots are busy" in body for body in bodies)
    assert LIVE_PIDS == set()
