"""A free loopback port for a server that binds it later, and a start that moves on when the port was taken.

A port picked by binding port 0 is free only at that moment: another process (a parallel test worker,
any program) can take it before the server binds it. The server then fails with "address already in
use"; `start_on_free_port` starts it again on a newly picked port.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

__all__ = ["BIND_ATTEMPTS", "PortTaken", "free_port", "is_port_clash", "start_on_free_port"]

BIND_ATTEMPTS = 3
T = TypeVar("T")


class PortTaken(RuntimeError):
    """The server could not bind its port: another process holds it."""


def free_port() -> int:
    """A 127.0.0.1 port nothing is bound to right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_port_clash(output: str) -> bool:
    """Whether a server's log says its port was taken (PostgreSQL and uvicorn both write this)."""
    return "address already in use" in output.lower()


def start_on_free_port(start: Callable[[int], T], pick_port: Callable[[], int] = free_port, attempts: int = BIND_ATTEMPTS) -> T:
    """`start(port)` on a picked port; while it raises `PortTaken`, again on a new one (at most `attempts` starts)."""
    for attempt in range(1, attempts + 1):
        try:
            return start(pick_port())
        except PortTaken:
            if attempt == attempts:
                raise
    raise ValueError(f"attempts must be at least 1, got {attempts}")
