"""Shared measurement helpers for STDIO servers: cold start and tools/list size."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MINIMAL_SERVER = '''
from mcp.server import MCPServer
server = MCPServer("minimal", version="0")
@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"
server.run("stdio")
'''

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _spawn(args: list[str], env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        cwd=ROOT, env={**os.environ, **(env or {})},
    )


def _read_reply(proc: subprocess.Popen[bytes], want_id: int) -> dict:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server exited before answering")
        msg = json.loads(line)
        if msg.get("id") == want_id:
            return msg


def cold_start_ms(args: list[str], env: dict[str, str] | None = None, runs: int = 7) -> float:
    """Median time from spawn to the initialize result."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = _spawn(args, env)
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        proc.stdin.flush()
        _read_reply(proc, 1)
        times.append((time.perf_counter() - started) * 1000)
        proc.kill()
        proc.wait()
    return round(statistics.median(times), 1)


def tools_list_bytes(args: list[str], env: dict[str, str] | None = None) -> tuple[int, int]:
    """Size in bytes of the tools/list result and the number of tools."""
    proc = _spawn(args, env)
    assert proc.stdin is not None
    for msg in (INITIALIZE, INITIALIZED, LIST):
        proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()
    _read_reply(proc, 1)
    reply = _read_reply(proc, 2)
    proc.kill()
    proc.wait()
    body = json.dumps(reply["result"], separators=(",", ":"))
    return len(body.encode()), len(reply["result"]["tools"])


def cold_start_report(args: list[str], env: dict[str, str] | None = None) -> dict:
    minimal_file = ROOT / ".data" / "bench_minimal_server.py"
    minimal_file.parent.mkdir(parents=True, exist_ok=True)
    minimal_file.write_text(MINIMAL_SERVER)
    baseline = cold_start_ms([str(minimal_file)])
    ours = cold_start_ms(args, env)
    size, count = tools_list_bytes(args, env)
    return {
        "cold_start_ms": ours,
        "minimal_server_cold_start_ms": baseline,
        "cold_start_ratio": round(ours / baseline, 3),
        "cold_start_target_ratio": 1.15,
        "cold_start_met": ours / baseline <= 1.15,
        "tools_list_bytes": size,
        "tools": count,
        "tools_list_target_bytes": 12_000,
        "tools_list_met": size <= 12_000,
    }
