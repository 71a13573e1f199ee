"""Start a server process (e.g. `python -P -m mcp_servers.web`, as the Procfile does) on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mcp_servers.common.ports import PortTaken, free_port, is_port_clash, start_on_free_port

STARTUP_DEADLINE_S = 60


@dataclass(frozen=True)
class WebProcess:
    base_url: str
    port: int
    log: Path


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any MCP_/HEROKU_ settings or DATABASE_URL, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "HEROKU_")) and k != "DATABASE_URL"}
    env.update(extra)
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _launch(argv: list[str], env: dict[str, str], log: Path, ready: Callable[[int], bool], port: int) -> tuple[subprocess.Popen[bytes], int]:
    """`argv --port <port>` started and polled until `ready(port)`; `PortTaken` if it exited because the port was taken."""
    with log.open("wb") as sink:
        proc = subprocess.Popen([*argv, "--port", str(port)], env=env, stdout=sink, stderr=sink)
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    try:
        while True:
            if proc.poll() is not None:
                output = log.read_text()
                if is_port_clash(output):
                    raise PortTaken(f"port {port} was taken:\n{output}")
                pytest.fail(f"{' '.join(argv[1:])} exited with {proc.returncode}:\n{output}")
            if ready(port):
                return proc, port
            if time.monotonic() > deadline:
                pytest.fail(f"{' '.join(argv[1:])} not ready in {STARTUP_DEADLINE_S}s:\n{log.read_text()}")
            time.sleep(0.05)  # readiness poll of a subprocess, bounded by the deadline above
    except BaseException:
        _stop(proc)
        raise


@contextmanager
def running_server(
    argv: list[str], env: dict[str, str], log: Path, ready: Callable[[int], bool], pick_port: Callable[[], int] = free_port
) -> Iterator[int]:
    """`argv --port <port>` on a free loopback port, its stdout and stderr in `log`; yields the port once `ready(port)`.

    The port is free when picked but another process may take it before the server binds it: then the
    server exits with "address already in use" and is started again on a new port.
    """
    proc, port = start_on_free_port(lambda port: _launch(argv, env, log, ready, port), pick_port)
    try:
        yield port
    finally:
        _stop(proc)


def accepts_connections(port: int) -> bool:
    """Readiness of a server with no health route: its port accepts a TCP connection."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _answers_health(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running_web(env: dict[str, str], log: Path, *args: str, pick_port: Callable[[], int] = free_port) -> Iterator[WebProcess]:
    """The web process with `env` (and command-line `args`), ready once /health answers; terminated on exit."""
    argv = [sys.executable, "-P", "-m", "mcp_servers.web", *args]
    with running_server(argv, env, log, _answers_health, pick_port) as port:
        yield WebProcess(f"http://127.0.0.1:{port}", port, log)
