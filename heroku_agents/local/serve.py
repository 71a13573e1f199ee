"""Serving the app: on a socket we bind ourselves (so `--port 0` can report the real port), or in-process.

TCP_NODELAY matters: uvicorn does not set it on sockets handed in with `sockets=`, and without it
every small SSE frame waits out the peer's delayed ACK (~40 ms per request on loopback).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio

from heroku_agents.errors import AgentsError

__all__ = ["LOCAL_START_TIMEOUT", "bind_socket", "serve_local", "socket_url"]

LOCAL_START_TIMEOUT = 30.0  # seconds for uvicorn to start the app (tool sync continues in the background)
LOCAL_STOP_TIMEOUT = 10.0  # seconds for its graceful stop (uvicorn's own grace is 5 s)


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


@asynccontextmanager
async def serve_local(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (port chosen by the OS) for the block's duration.

    Raises:
        AgentsError: the app did not start.
    """
    import uvicorn

    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
    stopped = anyio.Event()

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            stopped.set()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(serve)
            with anyio.fail_after(LOCAL_START_TIMEOUT):
                while not server.started:  # uvicorn offers no startup event; its own loop ticks at 0.1 s
                    if stopped.is_set():
                        raise AgentsError("the local Agents endpoint failed to start; see the log lines above")
                    await anyio.sleep(0.02)
            failed = False
            try:
                yield socket_url(sock)
            except BaseException:
                failed = True
                raise
            finally:
                # A graceful stop even when the block failed: the app's shutdown kills its tool processes.
                # After a failure the caller has already said what went wrong: a request still in flight is
                # cancelled quietly rather than with uvicorn's traceback.
                server.should_exit = True
                with _quiet_uvicorn(failed), anyio.move_on_after(LOCAL_STOP_TIMEOUT, shield=True):
                    await stopped.wait()
    finally:
        sock.close()


@contextmanager
def _quiet_uvicorn(quiet: bool) -> Iterator[None]:
    errors = logging.getLogger("uvicorn.error")
    level = errors.level
    if quiet:
        errors.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        errors.setLevel(level)
