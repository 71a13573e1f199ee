"""Local Agents endpoint figures: loop overhead per step, time to first event, cold vs warm tool calls,
50 concurrent runs. Everything runs for real: uvicorn on loopback, STDIO processes, embedded PostgreSQL."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import uvicorn

from heroku_agents.local.app import create_app
from heroku_agents.local.backends import OfflinePlanner, PlannedCall, ScriptedBackend, Step
from heroku_agents.local.loop import AgentRun
from heroku_agents.local.serve import bind_socket
from heroku_agents.local.settings import LocalSettings
from heroku_agents.model_tools import BoundTool, ToolSpec
from heroku_agents.models import AgentRequest, Tool, to_json
from heroku_agents.procfile import parse_procfile
from heroku_agents.sse import aiter_events, encode_event

ROOT = Path(__file__).resolve().parents[1]
KEY = "inf-bench-0000-0000"
TARGETS = {"step_overhead_ms": 5.0, "first_event_ms": 50.0}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


async def _step_overhead(steps: int = 2000) -> dict[str, Any]:
    """The loop's own cost per model step + tool call + SSE encoding, with an instant model and tool."""
    model_time = tool_time = 0.0

    class InstantBackend:
        model, fingerprint = "bench", "bench"

        async def step(self, messages, tools, options=None):
            nonlocal model_time
            started = time.perf_counter()
            done = messages[-1]["role"] == "tool" and len(messages) >= 2 * steps
            result = Step("done") if done else Step("", (PlannedCall("mcp-x/echo", {"text": "hi"}),))
            model_time += time.perf_counter() - started
            return result

    async def echo(arguments: dict[str, Any]) -> dict[str, Any]:
        nonlocal tool_time
        started = time.perf_counter()
        result = {"content": [{"type": "text", "text": json.dumps(arguments)}], "isError": False}
        tool_time += time.perf_counter() - started
        return result

    tool = Tool(type="mcp", name="echo", runtime_params={"max_calls": steps + 1})
    bound = {"mcp-x/echo": BoundTool(ToolSpec("mcp-x/echo", "Echo.", {"type": "object"}), tool, echo)}
    request = AgentRequest(model="m", messages=[{"role": "user", "content": "go"}], tools=[tool])
    run = AgentRun(request, InstantBackend(), bound, max_steps=steps + 1)
    started = time.perf_counter()
    frames = 0
    async for event in run.events():
        encode_event("message", to_json(event))
        frames += 1
    total = time.perf_counter() - started
    per_step = (total - model_time - tool_time) / steps
    # the loop re-reads the whole conversation each step (as a model would); report a short run too
    return {"steps": steps, "frames": frames, "overhead_ms_per_step_long_run": _ms(per_step)}


async def _serve(app) -> tuple[uvicorn.Server, str, Any]:
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}", sock


async def _http_figures() -> dict[str, Any]:
    settings = LocalSettings(key=KEY, procfile=ROOT / "Procfile", app_dir=ROOT)
    app = create_app(settings, backend=OfflinePlanner(), procfile=parse_procfile("", path="none"))
    state = app.state.local
    server, url, sock = await _serve(app)
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app), anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:
            await anyio.sleep(0.01)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            body = {"model": "m", "messages": [{"role": "user", "content": "Run this Python: ```python\nprint(6*7)\n```"}],
                    "tools": [{"type": "heroku_tool", "name": "code_exec_python"}]}
            firsts = []
            for _ in range(20):
                started = time.perf_counter()
                async with http.stream("POST", "/v1/agents/heroku", json=body) as response:
                    events = aiter_events(response.aiter_bytes())
                    await events.__anext__()
                    firsts.append(time.perf_counter() - started)
                    async for _ in events:
                        pass
            out["first_event_ms_offline_planner"] = {"p50": _ms(statistics.median(firsts)), "max": _ms(max(firsts))}

            simple = []
            state.backend = ScriptedBackend([Step("hi")] * 200)
            for _ in range(200):
                started = time.perf_counter()
                await http.post("/v1/agents/heroku", json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
                simple.append(time.perf_counter() - started)
            out["one_step_run_over_http_ms_p50"] = _ms(statistics.median(simple))

            def plan(messages, tools):
                if messages[-1]["role"] == "tool":
                    return Step("done")
                return Step("", (PlannedCall("code_exec_python", {"code": "print(1)"}),))

            state.backend = ScriptedBackend([plan] * 100)
            latencies: list[float] = []

            async def one() -> None:
                started = time.perf_counter()
                response = await http.post("/v1/agents/heroku", json={**body, "messages": [{"role": "user", "content": "x"}]})
                assert response.text.endswith("event:done\ndata:[DONE]\n\n") and response.text.count("event:message") == 3
                latencies.append(time.perf_counter() - started)

            started = time.perf_counter()
            async with anyio.create_task_group() as runs:
                for _ in range(50):
                    runs.start_soon(one)
            out["concurrent_50_runs"] = {
                "completed": len(latencies), "wall_s": round(time.perf_counter() - started, 2),
                "run_p50_ms": _ms(statistics.median(latencies)), "run_max_ms": _ms(max(latencies)),
                "tool": "code_exec_python (a real subprocess per call)",
            }
        server.should_exit = True
    return out


async def _cold_vs_warm(url: str, calls: int = 5) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for warm in (0, 1):
        settings = LocalSettings(key=KEY, procfile=ROOT / "Procfile", app_dir=ROOT, warm_pool=warm, child_env={"DATABASE_URL": url})
        procfile = parse_procfile("mcp-postgres: python -m mcp_servers.postgres\n", path="bench")
        app = create_app(settings, procfile=procfile)
        state = app.state.local
        async with app.router.lifespan_context(app):
            await state.ready.wait()
            if warm:
                await state.executor.pool.wait_ready(timeout=120)
            entry = state.registry.servers["mcp-postgres"]
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                result = await state.executor.call(entry, "pg_schema", {}, ttl_seconds=120)
                assert result["isError"] is False, result
                times.append(time.perf_counter() - started)
        figures["warm_pool" if warm else "cold_stdio_process"] = {"p50_ms": _ms(statistics.median(times)), "calls": calls}
    figures["speedup"] = round(figures["cold_stdio_process"]["p50_ms"] / figures["warm_pool"]["p50_ms"], 1)
    figures["tool"] = "mcp-postgres pg_schema (python -m mcp_servers.postgres)"
    return figures


def run() -> dict[str, Any]:
    from mcp_servers.common.embedded_pg import EmbeddedPostgres

    overhead = anyio.run(_step_overhead)
    short = anyio.run(_step_overhead, 10)
    http = anyio.run(_http_figures)
    pg = EmbeddedPostgres.temporary().start()
    try:
        tool_calls = anyio.run(_cold_vs_warm, pg.url("postgres"))
    finally:
        pg.destroy()
    step_ms = short["overhead_ms_per_step_long_run"]
    first_ms = http["first_event_ms_offline_planner"]["p50"]
    return {
        "step_overhead_ms": {"value_10_step_run": step_ms, "value_2000_step_run": overhead["overhead_ms_per_step_long_run"],
                             "target": TARGETS["step_overhead_ms"], "met": step_ms <= TARGETS["step_overhead_ms"]},
        "first_event_ms": {"value_p50": first_ms, "max": http["first_event_ms_offline_planner"]["max"],
                           "target": TARGETS["first_event_ms"], "met": first_ms <= TARGETS["first_event_ms"]},
        "one_step_run_over_http_ms_p50": http["one_step_run_over_http_ms_p50"],
        "tool_call_cold_vs_warm": tool_calls,
        "concurrent_50_runs": http["concurrent_50_runs"],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
