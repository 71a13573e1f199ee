"""`web` process figures: tool-call throughput over HTTP at concurrency 1, 8, 32, and p50/p99 latency.

The process runs as the Procfile runs it (`python -m mcp_servers.web`, bearer token on, all Guard limits at
their defaults) on a loopback port, with `DATABASE_URL` on a temporary embedded PostgreSQL holding one small
table. The cheap tool is `pg_schema` (two catalog queries). The client sends raw 2026-07-28 `tools/call`
requests with httpx, so the figures are the server's (client and server share this machine's cores).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
import psycopg

from mcp_servers.common.embedded_pg import EmbeddedPostgres

TOKEN = "bench-token-0123456789abcdef"
CONCURRENCY = (1, 8, 32)
CALLS_PER_WORKER = {1: 300, 8: 80, 32: 25}
WARMUP_CALLS = 20
# An agent step waits seconds on the model; HTTP + tool time well under 100 ms keeps the transport invisible.
TARGET_P99_MS_AT_1 = 100.0
# One dyno should absorb a burst from several agents at once.
TARGET_CALLS_PER_S_AT_8 = 100.0

HEADERS = {
    "authorization": f"Bearer {TOKEN}",
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": "pg_schema",
}
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


async def _measure(base: str) -> dict:
    url = f"{base}/postgres/mcp"
    ids = iter(range(1, 10**9))

    errors: dict[str, int] = {}

    async def call(http: httpx.AsyncClient) -> float | None:
        """One tools/call; its latency in ms, or None (counted in `errors` by kind) when it failed."""
        body = {"jsonrpc": "2.0", "id": next(ids), "method": "tools/call",
                "params": {"name": "pg_schema", "arguments": {}, "_meta": META}}
        started = time.perf_counter()
        try:
            response = await http.post(url, json=body, headers=HEADERS)
        except httpx.TransportError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        payload = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or payload.get("result", {}).get("isError") is not False:
            errors[f"http_{response.status_code}"] = errors.get(f"http_{response.status_code}", 0) + 1
            return None
        return elapsed

    figures: dict = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        for _ in range(WARMUP_CALLS):
            await call(http)
        for workers in CONCURRENCY:
            latencies: list[float] = []
            errors.clear()

            async def worker(calls: int = CALLS_PER_WORKER[workers], out: list[float] = latencies) -> None:
                for _ in range(calls):
                    elapsed = await call(http)
                    if elapsed is not None:
                        out.append(elapsed)

            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(workers):
                    tg.start_soon(worker)
            wall = time.perf_counter() - started
            ordered = sorted(latencies)
            figures[f"concurrency_{workers}"] = {
                "calls": len(ordered),
                "errors": dict(errors),
                "calls_per_s": round(len(ordered) / wall, 1),
                "p50_ms": round(statistics.median(ordered), 2),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            }
    return figures


def run() -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from web_process import clean_env, running_web

    pg = EmbeddedPostgres.temporary().start()
    try:
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL)")
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "web.log"
            started = time.perf_counter()
            env = clean_env(DATABASE_URL=pg.url(), MCP_AUTH_TOKEN=TOKEN)
            with running_web(env, log, "--log-level", "WARNING") as web:
                ready_s = time.perf_counter() - started
                figures = anyio.run(_measure, web.base_url)
            if any(figures[f"concurrency_{c}"]["errors"] for c in CONCURRENCY):
                figures["server_log_tail"] = log.read_text()[-3000:]
        at_1, at_8 = figures["concurrency_1"], figures["concurrency_8"]
        return {
            "tool": "pg_schema (embedded PostgreSQL 18, one table), bearer auth on, raw 2026-07-28 tools/call",
            "cpu_count": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "ready_s": round(ready_s, 2),
            **figures,
            "targets": {
                "p99_ms_at_concurrency_1": TARGET_P99_MS_AT_1,
                "calls_per_s_at_concurrency_8": TARGET_CALLS_PER_S_AT_8,
            },
            "met": at_1["p99_ms"] <= TARGET_P99_MS_AT_1 and at_8["calls_per_s"] >= TARGET_CALLS_PER_S_AT_8
            and not any(figures[f"concurrency_{c}"]["errors"] for c in CONCURRENCY),
        }
    finally:
        pg.destroy()
