"""A tiny MCP server for the local endpoint's tests: it answers, sleeps, hangs, crashes or spawns on demand.

`python flaky_server.py [--crash-on-start|--hang-on-start]`. PIDs of the process (and of a child it
spawns) are written to $FLAKY_PID_DIR so tests can check nothing outlives a run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

if "--crash-on-start" in sys.argv:
    print("flaky_server: refusing to start (--crash-on-start)", file=sys.stderr)
    sys.exit(3)
if "--hang-on-start" in sys.argv:
    time.sleep(3600)

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
server = MCPServer("flaky", version="0.0.1")


def _record_pid(pid: int) -> None:
    folder = os.environ.get("FLAKY_PID_DIR")
    if folder:
        Path(folder, f"{pid}.pid").write_text(str(pid))


class Echo(BaseModel):
    text: str
    pid: int


@server.tool(annotations=READ_ONLY)
def echo_text(text: Annotated[str, Field(description="Text to echo back.")] = "hello") -> Echo:
    """Echo the text back with the server's process id."""
    _record_pid(os.getpid())
    return Echo(text=text, pid=os.getpid())


@server.tool(annotations=READ_ONLY)
def sleep_for(seconds: Annotated[float, Field(description="How long to sleep.")] = 1.0) -> Echo:
    """Sleep, then answer. Also starts a child process in the same group (it must die with us)."""
    _record_pid(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    _record_pid(child.pid)
    time.sleep(seconds)
    child.kill()
    return Echo(text=f"slept {seconds}s", pid=os.getpid())


@server.tool(annotations=READ_ONLY)
def crash_now() -> Echo:
    """Exit the process without answering."""
    _record_pid(os.getpid())
    print("flaky_server: crashing on purpose", file=sys.stderr, flush=True)
    os._exit(7)


if __name__ == "__main__":
    server.run("stdio")
