"""Start `python -P -m mcp_servers.web` (as the Procfile does) on a free loopback port; ready once /health answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

STARTUP_DEADLINE_S = 60
BIND_ATTEMPTS = 3  # a picked port can be taken before the server binds it (other suites run beside this one)


@dataclass(frozen=True)
class WebProcess:
    base_url: str
    port: int
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any MCP_/HEROKU_ settings or DATABASE_URL, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "HEROKU_")) and k != "DATABASE_URL"}
    env.update(extra)
    return env


@contextmanager
def running_web(env: dict[str, str], log: Path, *args: str) -> Iterator[WebProcess]:
    """The web process with `env` (and command-line `args`), its stdout and stderr in `log`; terminated on exit.

    The port is free when picked but another process may take it before the server binds it: then
    the server exits with "address already in use" and is started again on a new port.
    """
    attempts = BIND_ATTEMPTS
    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "mcp_servers.web", "--port", str(port), *args], env=env, stdout=sink, stderr=sink
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    try:
        while True:
            if proc.poll() is not None:
                attempts -= 1
                if attempts > 0 and "address already in use" in log.read_text():
                    port = free_port()
                    with log.open("wb") as sink:
                        proc = subprocess.Popen(
                            [sys.executable, "-P", "-m", "mcp_servers.web", "--port", str(port), *args], env=env, stdout=sink, stderr=sink
                        )
                    base_url = f"http://127.0.0.1:{port}"
                    continue
                pytest.fail(f"web process exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"web process not ready in {STARTUP_DEADLINE_S}s:\n{log.read_text()}")
            time.sleep(0.05)  # readiness poll of a subprocess, bounded by the deadline above
        yield WebProcess(base_url, port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
