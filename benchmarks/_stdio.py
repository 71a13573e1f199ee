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


def _send(proc: subprocess.Popen[bytes], *messages: dict) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"".join((json.dumps(m) + "\n").encode() for m in messages))
    proc.stdin.flush()


def first_result_ms(args: list[str], call: dict, env: dict[str, str] | None = None) -> tuple[float, float]:
    """One cold process: (ms from spawn to the first tools/call result, ms from closing stdin to exit).

    stdin stays open until the reply has arrived: both MCP SDKs can drop an answer when it closes sooner.
    """
    started = time.perf_counter()
    proc = _spawn(args, env)
    _send(proc, INITIALIZE)
    _read_reply(proc, 1)
    _send(proc, INITIALIZED, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
    reply = _read_reply(proc, 3)
    answered = time.perf_counter()
    if "error" in reply:
        raise RuntimeError(f"tools/call failed: {reply['error']}")
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)
    return (answered - started) * 1000, (time.perf_counter() - answered) * 1000


def callgrind_instructions(args: list[str], env: dict[str, str] | None = None) -> int | None:
    """Instructions a whole process executes (callgrind, deterministic on one machine) for: spawn,
    initialize, then stdin closed, to exit. None when valgrind is not installed."""
    import shutil
    import tempfile

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, *args],
            input=(json.dumps(INITIALIZE) + "\n").encode(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ROOT, env={**os.environ, **(env or {})}, timeout=1200, check=True,
        )
        if b'"id":1' not in proc.stdout.replace(b" ", b""):
            raise RuntimeError(f"{args} did not answer initialize under callgrind")
        for line in out.read_text(errors="replace").splitlines():
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no totals")


def minimal_server_args() -> list[str]:
    """The baseline: the smallest useful MCPServer (one tool), written under .data/."""
    minimal_file = ROOT / ".data" / "bench_minimal_server.py"
    minimal_file.parent.mkdir(parents=True, exist_ok=True)
    minimal_file.write_text(MINIMAL_SERVER)
    return [str(minimal_file)]
