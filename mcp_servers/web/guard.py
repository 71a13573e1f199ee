"""The ASGI guard in front of the MCP endpoints: Host/Origin, bearer token, body size, time and concurrency.

Order per request, each step answering on its own so the later ones never see a rejected request:
Host (421) -> Origin (403) -> token (401) -> body read with a size cap and a deadline (413 / 408)
-> a slot among `max_concurrent` running calls, waiting among at most `max_queued` (else 503)
-> the app under `request_timeout_s` (504 when no response has started).
`/health` skips all of it: it says nothing but "up".
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_servers.web.settings import LOOPBACK_NAMES, WebSettings, is_loopback

__all__ = ["OPEN_PATHS", "REALM", "Guard"]

logger = logging.getLogger(__name__)

REALM = "heroku-mcp-toolkit"
OPEN_PATHS = frozenset({"/health"})


def _host_name(host_header: str) -> str:
    """`example.com:443` -> `example.com`; `[::1]:8000` -> `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _origin_allowed(origin: str, hosts: Iterable[str], extra: Iterable[str]) -> bool:
    origin = origin.rstrip("/").lower()
    if origin in extra:
        return True
    scheme, _, rest = origin.partition("://")
    name = _host_name(rest)
    if is_loopback(name):
        return scheme in ("http", "https")
    return scheme == "https" and name in hosts


class Guard:
    """Wraps the whole app; only `http` scopes are checked (lifespan passes through)."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self._token = settings.auth_token.get_secret_value().encode() if settings.auth_token else None
        self._slots = anyio.Semaphore(settings.max_concurrent)
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        client = (scope.get("client") or ("?", 0))[0]
        rejection = self._check_headers(headers)
        if rejection is not None:
            status, body, extra = rejection
            logger.info("rejected %s %s from %s: %s", scope["method"], scope["path"], client, status)
            await _respond(send, status, body, extra)
            return
        if scope["method"] == "GET":
            # The servers are stateless: they never push, so a GET stream would only hold a slot until the timeout.
            # Streamable HTTP lets a server without that stream answer 405.
            await _respond(send, 405, {"error": "method_not_allowed", "error_description": "stateless server: POST only"},
                           {"allow": "POST"})
            return
        body = await self._read_body(scope, receive, send, headers)
        if body is None:
            return
        await self._run(scope, body, receive, send)

    def _check_headers(self, headers: dict[str, str]) -> tuple[int, dict, dict[str, str]] | None:
        settings = self.settings
        if not settings.any_host:
            name = _host_name(headers.get("host", ""))
            if not (name in LOOPBACK_NAMES or is_loopback(name) or name in settings.allowed_hosts):
                return 421, {"error": "misdirected_request", "error_description": "unknown Host"}, {}
            origin = headers.get("origin")
            if origin and not _origin_allowed(origin, settings.allowed_hosts, settings.allowed_origins):
                return 403, {"error": "forbidden", "error_description": "Origin not allowed"}, {}
        if self._token is None:
            return None
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            # RFC 6750 section 3.1: no credentials at all -> a bare challenge without an error code.
            challenge = f'Bearer realm="{REALM}"'
            return 401, {"error": "unauthorized", "error_description": "Bearer token required"}, {
                "www-authenticate": challenge
            }
        if not hmac.compare_digest(presented.strip().encode("latin-1"), self._token):
            challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="The token is not valid"'
            return 401, {"error": "invalid_token", "error_description": "The token is not valid"}, {
                "www-authenticate": challenge
            }
        return None

    async def _read_body(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> bytes | None:
        """The whole request body, or None after answering 413/408 (or when the client left)."""
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _respond(send, 413, _too_large(limit))
            return None
        chunks: list[bytes] = []
        size = 0
        with anyio.move_on_after(self.settings.body_timeout_s):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await _respond(send, 413, _too_large(limit), close=True)
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        logger.info("request body from %s not received within %ss", (scope.get("client") or ("?",))[0],
                    self.settings.body_timeout_s)
        await _respond(send, 408, {"error": "request_timeout", "error_description": "request body too slow"},
                       close=True)
        return None

    async def _run(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with anyio.move_on_after(self.settings.request_timeout_s) as deadline:
            if not await self._admit():
                await _respond(send, 503, {"error": "busy", "error_description": "too many requests in flight"},
                               {"retry-after": "1"})
                return
            try:
                await self.app(scope, replay, watch)
            finally:
                self._slots.release()
        if deadline.cancelled_caught:
            logger.warning("%s %s exceeded %ss", scope["method"], scope["path"], self.settings.request_timeout_s)
            if not started:
                await _respond(send, 504, {"error": "timeout", "error_description": "the call took too long"})

    async def _admit(self) -> bool:
        """Take a running slot, waiting in a bounded queue; False when the queue is full."""
        try:
            self._slots.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        if self._waiting >= self.settings.max_queued:
            return False
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        return True


def _too_large(limit: int) -> dict:
    return {"error": "payload_too_large", "error_description": f"request body over {limit} bytes"}


async def _respond(send: Send, status: int, body: dict, headers: dict[str, str] | None = None,
                   *, close: bool = False) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
