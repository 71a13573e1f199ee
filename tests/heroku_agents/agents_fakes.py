"""Stand-ins for Heroku's inference API in the client/driver tests (no real Heroku is reachable offline).

`replay_app` is a Starlette app that answers `/v1/agents/heroku` with the spec's verbatim stream
(section 4.1), i.e. what Heroku sent in its documented example; `raw_http_server` is a real
loopback TCP server writing hand-made HTTP bytes, for what an ASGI app cannot do (a stream cut
mid-way, a connection dropped inside a chunk).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream
from spec_examples import SPEC_STREAM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


def replay_app(seen: list[dict[str, Any]], stream: bytes = SPEC_STREAM) -> Starlette:
    """Heroku's documented answer to every agent request; records each request's headers and body."""

    async def agents(request: Request) -> Response:
        seen.append({"headers": dict(request.headers), "body": json.loads(await request.body())})
        return Response(stream, media_type="text/event-stream")

    async def servers(request: Request) -> Response:
        seen.append({"headers": dict(request.headers), "body": None})
        return JSONResponse([])

    return Starlette(routes=[
        Route("/v1/agents/heroku", agents, methods=["POST"]),
        Route("/v1/mcp/servers", servers, methods=["GET"]),
    ])


async def _read_request(stream: SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += await stream.receive()
    return head


@asynccontextmanager
async def raw_http_server(responses: Sequence[Sequence[bytes]]) -> AsyncIterator[str]:
    """Serve one canned response per connection (the last repeats), written part by part, then close.

    Yields the base URL (`http://127.0.0.1:<port>`); the port is chosen by the OS.
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(SocketAttribute.local_port)
    count = 0

    async def handle(stream: SocketStream) -> None:
        nonlocal count
        parts = responses[min(count, len(responses) - 1)]
        count += 1
        async with stream:
            await _read_request(stream)
            for part in parts:
                await stream.send(part)

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            tg.cancel_scope.cancel()


def chunked(body: bytes, size: int) -> list[bytes]:
    """`body` as HTTP/1.1 chunked transfer encoding, `size` bytes per chunk, with the final 0-chunk."""
    out = [b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"]
    for i in range(0, len(body), size):
        piece = body[i : i + size]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    out.append(b"0\r\n\r\n")
    return out
