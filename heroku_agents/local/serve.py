"""Serving the app on a socket we bind ourselves (so `--port 0` can report the real port).

TCP_NODELAY matters: uvicorn does not set it on sockets handed in with `sockets=`, and without it
every small SSE frame waits out the peer's delayed ACK (~40 ms per request on loopback).
"""

from __future__ import annotations

import socket

__all__ = ["bind_socket", "socket_url"]


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket with SO_REUSEADDR and TCP_NODELAY (inherited by accepted connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
