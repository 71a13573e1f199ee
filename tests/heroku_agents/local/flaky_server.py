"""A tiny MCP server for the local endpoint's tests: it answers, sleeps, crashes or hangs on demand.

Hand-written newline-delimited JSON-RPC over STDIO (initialize, tools/list, tools/call, ping) with no
imports beyond the standard library, so each process starts in milliseconds: the tests exercise the
endpoint, the SDK client and real processes, not the interpreter's import time.

`python flaky_server.py [--crash-on-start|--hang-on-start]`. With $FLAKY_PID_DIR set, every process
that runs a tool (and the child `sleep_for` starts) writes its PID there, so tests can check that
nothing outlives a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

READ_ONLY = {"readOnlyHint": True, "openWorldHint": False}
TOOLS = [
    {"name": "echo_text", "description": "Echo the text back with the server's process id.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string", "description": "Text to echo back.", "default": "hello"}}},
     "annotations": READ_ONLY},
    {"name": "sleep_for", "description": "Sleep, then answer. Also starts a child process in the same group (it must die with us).",
     "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number", "description": "How long to sleep.", "default": 1.0}}},
     "annotations": READ_ONLY},
    {"name": "crash_now", "description": "Exit the process without answering.",
     "inputSchema": {"type": "object", "properties": {}}, "annotations": READ_ONLY},
]


def _record_pid(pid: int) -> None:
    folder = os.environ.get("FLAKY_PID_DIR")
    if folder:
        Path(folder, f"{pid}.pid").write_text(str(pid))


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _result(payload: dict) -> dict:
    return {"content": [{"type": "text", "text": json.dumps(payload, indent=2)}], "structuredContent": payload, "isError": False}


def _call(name: str, arguments: dict) -> dict:
    _record_pid(os.getpid())
    if name == "echo_text":
        return _result({"text": arguments.get("text", "hello"), "pid": os.getpid()})
    if name == "sleep_for":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        _record_pid(child.pid)
        time.sleep(float(arguments.get("seconds", 1.0)))
        child.kill()
        return _result({"text": f"slept {arguments.get('seconds')}s", "pid": os.getpid()})
    if name == "crash_now":
        # a careless server: its last words include a secret the endpoint must not forward
        print(f"flaky_server: crashing on purpose (DATABASE_URL={os.environ.get('DATABASE_URL')})", file=sys.stderr, flush=True)
        os._exit(7)
    return {"content": [{"type": "text", "text": f"Unknown tool: {name}"}], "isError": True}


def main() -> None:
    if "--crash-on-start" in sys.argv:
        print("flaky_server: refusing to start (--crash-on-start)", file=sys.stderr, flush=True)
        sys.exit(3)
    if "--hang-on-start" in sys.argv:
        time.sleep(3600)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        method, ident, params = request.get("method"), request.get("id"), request.get("params") or {}
        if ident is None:
            continue  # a notification
        if method == "initialize":
            result = {"protocolVersion": params.get("protocolVersion", "2025-11-25"), "capabilities": {"tools": {}},
                      "serverInfo": {"name": "flaky", "version": "0.0.1"}}
        elif method == "tools/list":
            result = {"tools": TOOLS}
        elif method == "tools/call":
            result = _call(params.get("name", ""), params.get("arguments") or {})
        elif method == "ping":
            result = {}
        else:
            _send({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": f"Method not found: {method}"}})
            continue
        _send({"jsonrpc": "2.0", "id": ident, "result": result})


if __name__ == "__main__":
    main()
