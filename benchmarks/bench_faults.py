"""Fault figures: time to a clear error on a frozen database, orphans after cancel races, peak processes.

Everything is real: an embedded PostgreSQL of its own frozen with SIGSTOP, `mcp-postgres` over STDIO,
`/bin/sh` + Python tool processes cancelled at random moments, and the local endpoint's ASGI app
serving 50 concurrent runs.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
FLAKY_DIR = ROOT / "tests" / "heroku_agents" / "local"  # the stdlib-only test server (starts in milliseconds)
KEY = "inf-bench-faults-0000"
DEADLINE_ENV = {"PG_CONNECT_TIMEOUT_S": "1", "PG_STATEMENT_TIMEOUT_MS": "1000"}


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


async def _frozen_database() -> dict[str, Any]:
    """Seconds from a tools/call to its error while every process of the database is stopped."""
    from mcp import Client, StdioServerParameters, stdio_client

    from mcp_servers.common.embedded_pg import EmbeddedPostgres

    pg = EmbeddedPostgres.temporary().start()
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.postgres"],
                                   env={"DATABASE_URL": pg.url(), **DEADLINE_ENV})
    figures: dict[str, Any] = {"settings": DEADLINE_ENV}
    try:
        for case in ("before_connect", "between_queries"):
            async with Client(stdio_client(params), mode="legacy") as client:
                if case == "between_queries":
                    await client.call_tool("pg_schema", {})
                pids = pg.process_ids()
                _signal_all(pids, signal.SIGSTOP)
                try:
                    started = time.perf_counter()
                    with anyio.fail_after(120):
                        result = await client.call_tool("pg_schema", {})
                    elapsed = time.perf_counter() - started
                finally:
                    _signal_all(pids, signal.SIGCONT)
                recovered_started = time.perf_counter()
                with anyio.fail_after(60):
                    after = await client.call_tool("pg_schema", {})
                figures[case] = {
                    "seconds_to_error": round(elapsed, 2), "is_error": bool(result.is_error),
                    "error": result.content[0].text[:160] if result.content else "",
                    "recovered_same_process": not after.is_error,
                    "seconds_to_recover": round(time.perf_counter() - recovered_started, 2),
                }
    finally:
        pg.destroy()
    return figures


async def _cancel_races(rounds: int = 40) -> dict[str, Any]:
    """Cancel a tool process's start/handshake at a random moment; count processes that outlive it."""
    sys.path.insert(0, str(FLAKY_DIR))
    from orphan_probe import cancel_starts_at_random, survivors

    tag = uuid.uuid4().hex
    await cancel_starts_at_random(tag, rounds, seed=1)
    return {"rounds": rounds, "orphans": len(await survivors(tag))}


async def _fifty_runs(runs: int = 50) -> dict[str, Any]:
    """50 concurrent agent runs, each calling a 0.2 s tool: peak live tool processes and wall time."""
    import httpx

    from heroku_agents.local.app import create_app
    from heroku_agents.local.backends import PlannedCall, ScriptedBackend, Step
    from heroku_agents.local.process import LIVE_PIDS
    from heroku_agents.local.settings import LocalSettings

    settings = LocalSettings(key=KEY, procfile=FLAKY_DIR / "Procfile.test")
    app = create_app(settings)
    state = app.state.local
    peak = 0
    async with app.router.lifespan_context(app):
        with anyio.fail_after(30):
            await state.ready.wait()
        state.backend = ScriptedBackend([Step("", (PlannedCall("mcp-flaky/sleep_for", {"seconds": 0.2}),))] * runs
                                        + [Step("done")] * runs)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:

            async def run() -> None:
                await client.post("/v1/agents/heroku", json={
                    "model": "m", "messages": [{"role": "user", "content": "x"}],
                    "tools": [{"type": "mcp", "name": "sleep_for"}]})

            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(runs):
                    tg.start_soon(run)

                async def sample() -> None:
                    nonlocal peak
                    while True:
                        peak = max(peak, len(LIVE_PIDS))
                        await anyio.sleep(0.005)

                sampler = anyio.CancelScope()

                async def sampled() -> None:
                    with sampler:
                        await sample()

                tg.start_soon(sampled)
                while state.executor.stats.calls < runs:
                    await anyio.sleep(0.01)
                sampler.cancel()
            wall = time.perf_counter() - started
    stats = state.executor.stats
    return {
        "runs": runs, "cap": settings.max_tool_processes, "peak_live_process_groups": peak,
        "peak_running_calls": stats.peak_running, "queued_calls": stats.queued,
        "wall_seconds": round(wall, 2), "left_alive": len(LIVE_PIDS),
    }


def run() -> dict[str, Any]:
    return {
        "frozen_database": anyio.run(_frozen_database),
        "cancel_races": anyio.run(_cancel_races),
        "fifty_concurrent_runs": anyio.run(_fifty_runs),
    }
