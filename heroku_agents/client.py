"""AgentsClient: agent runs (streamed), chat completions and the MCP server listing of Heroku's inference API.

The same client talks to Heroku (`INFERENCE_URL`) and to the local endpoint (`heroku_agents.local`).
Failures become the typed errors of `heroku_agents.errors`; 429 and 5xx answers are retried a
bounded number of times (honouring `Retry-After`) before the request fails.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any, TypeVar

import anyio
import httpx
from pydantic import ValidationError

from heroku_agents._client_wire import body_of, normalise_chat, request_id, server_message, transport_reason
from heroku_agents.errors import (
    AgentsConnectionError,
    AgentsHTTPError,
    AuthenticationError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    StreamInterruptedError,
)
from heroku_agents.models import (
    AgentRequest,
    ChatCompletionChunk,
    ChatCompletionEvent,
    ChatCompletionRequest,
    ChatCompletionResponse,
    MCPServerRecord,
    ToolCompletionEvent,
    parse_event,
)
from heroku_agents.outcomes import describe_event
from heroku_agents.redaction import redact
from heroku_agents.sse import SSEDecoder, SSEEvent
from heroku_agents.wire import ToolOutcome, tool_outcome

__all__ = [
    "DEFAULT_BACKOFF", "DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "AgentsClient", "ToolOutcome", "describe_event",
    "tool_outcome",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, read=300.0)  # tool calls may run minutes (spec 6.6: 300 s cap)
DEFAULT_RETRIES = 3  # attempts after the first, for 429 and 5xx only
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubled each time
MAX_BACKOFF = 10.0  # cap for both our backoff and a server's Retry-After
USER_AGENT = "heroku-mcp-toolkit/0.1 (heroku_agents.client)"
IGNORED_EVENTS = frozenset({"heartbeat", "ping", "keep-alive"})

T = TypeVar("T")

class AgentsClient:
    """Client of `POST /v1/agents/heroku`, `POST /v1/chat/completions` and `GET /v1/mcp/servers`.

    `base_url` is the add-on's INFERENCE_URL (a trailing `/` or `/v1` is tolerated); `key` its
    INFERENCE_KEY (None sends no Authorization header, which the local endpoint accepts). Pass
    `http` to choose the transport (tests pass an `httpx.ASGITransport`); the client then does
    not close it.
    """

    def __init__(
        self,
        base_url: str,
        key: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        base = base_url.rstrip("/")
        self.base_url = base[: -len("/v1")] if base.endswith("/v1") else base
        self._key = key or None
        self._secrets: tuple[str, ...] = (self._key,) if self._key else ()  # masked in everything received
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self.retries = retries
        self.backoff = backoff

    async def __aenter__(self) -> AgentsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # -- public calls ----------------------------------------------------------------------

    async def stream_agent(
        self, request: AgentRequest | dict[str, Any]
    ) -> AsyncIterator[ChatCompletionEvent | ToolCompletionEvent]:
        """Run an agent and yield each `chat.completion` / `tool.completion` as it arrives.

        Heartbeats, comments and unknown event names are skipped. Use `tool_outcome()` on a
        `ToolCompletionEvent` to get the MCP result back.

        Raises:
            AgentsHTTPError (and subclasses), AgentsConnectionError: before the stream starts.
            StreamInterruptedError: the stream ended or broke before `done`, or sent an `error` event.
        """
        received: list[str] = []
        url = f"{self.base_url}/v1/agents/heroku"
        async with aclosing(self._messages(url, body_of(request), parse_event, "completion object", received)) as events:
            async for event in events:
                received.append(describe_event(event))
                yield event

    async def chat_completion(self, request: ChatCompletionRequest | dict[str, Any]) -> ChatCompletionResponse:
        """One non-streamed `/v1/chat/completions` call.

        Raises:
            AgentsHTTPError (and subclasses), AgentsConnectionError.
        """
        body = body_of(request)
        body["stream"] = False
        url = f"{self.base_url}/v1/chat/completions"
        response = await self._request("POST", url, json=body)
        try:
            return ChatCompletionResponse.model_validate(normalise_chat(response.json()))
        except (ValueError, ValidationError) as exc:
            raise self._unexpected(response, url, "a chat completion", exc) from None

    async def stream_chat_completion(
        self, request: ChatCompletionRequest | dict[str, Any]
    ) -> AsyncIterator[ChatCompletionChunk]:
        """A streamed `/v1/chat/completions` call: yields each chunk until `[DONE]`.

        Raises:
            AgentsHTTPError (and subclasses), AgentsConnectionError, StreamInterruptedError.
        """
        body = body_of(request)
        body["stream"] = True
        received: list[str] = []
        url = f"{self.base_url}/v1/chat/completions"
        async with aclosing(self._messages(url, body, ChatCompletionChunk.model_validate_json, "chunk", received)) as chunks:
            async for chunk in chunks:
                if not received:
                    received.append("chat.completion.chunk")
                yield chunk

    async def list_mcp_servers(self) -> list[MCPServerRecord]:
        """`GET /v1/mcp/servers`: the servers registered with the add-on (empty when none).

        Raises:
            AgentsHTTPError (and subclasses), AgentsConnectionError.
        """
        url = f"{self.base_url}/v1/mcp/servers"
        response = await self._request("GET", url)
        try:
            return [MCPServerRecord.model_validate(item) for item in response.json()]
        except (ValueError, TypeError, ValidationError) as exc:
            raise self._unexpected(response, url, "a list of MCP server records", exc) from None

    # -- plumbing ----------------------------------------------------------------------------

    def _headers(self, *, stream: bool) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/event-stream" if stream else "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.request(method, url, headers=self._headers(stream=False), **kw)
            except httpx.TransportError as exc:
                raise AgentsConnectionError(url, transport_reason(exc)) from None
            if response.is_success:
                return response
            await self._raise_or_wait(response, url, attempt, response.text)
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def _open_stream(self, url: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        for attempt in range(self.retries + 1):
            try:
                async with self._http.stream("POST", url, json=body, headers=self._headers(stream=True)) as response:
                    if response.is_success:
                        yield response
                        return
                    text = (await response.aread()).decode("utf-8", "replace")
            except httpx.TransportError as exc:
                raise AgentsConnectionError(url, transport_reason(exc)) from None
            await self._raise_or_wait(response, url, attempt, text)

    async def _raise_or_wait(self, response: httpx.Response, url: str, attempt: int, text: str) -> None:
        """Raise the typed error for `response`, or sleep before the next attempt of a 429/5xx."""
        status = response.status_code
        retryable = status == 429 or (status >= 500 and status != 504)  # a timeout repeated only multiplies the wait
        if retryable and attempt < self.retries:
            delay = min(self.backoff * 2**attempt, MAX_BACKOFF)
            after = response.headers.get("retry-after", "")
            if after.isdigit():
                delay = min(float(after), MAX_BACKOFF) if self.backoff else 0.0
            log.warning("HTTP %s from %s; retry %d/%d in %.1fs", status, redact(url), attempt + 1, self.retries, delay)
            await anyio.sleep(delay)
            return
        # A proxy may quote the key back; ours need not look like Heroku's inf-<uuid> to be masked.
        text = redact(text, self._secrets)
        message = server_message(text) or response.reason_phrase or "no message"
        kw: dict[str, Any] = {"status": status, "url": url, "request_id": request_id(response, self._secrets), "body_excerpt": text}
        if status in (401, 403):
            raise AuthenticationError(message, **kw)
        if status == 429:
            raise RateLimitedError(f"{message} (still rate limited after {attempt + 1} attempts)", **kw)
        if status >= 500:
            raise ServerError(f"{message} (still failing after {attempt + 1} attempts)", **kw)
        if status in (400, 404, 409, 413, 422):
            raise RequestRejectedError(message, **kw)
        raise AgentsHTTPError(message, **kw)

    async def _events(self, response: httpx.Response, url: str, received: list[str]) -> AsyncIterator[SSEEvent]:
        """SSE events of `response` up to `done`; a missing `done` is a StreamInterruptedError."""
        async with aclosing(_decoded(response, url, received)) as decoded:
            async for sse in decoded:
                sse = _masked(sse, self._secrets)
                if _handle(sse, url, received):
                    return
                if sse.event not in IGNORED_EVENTS:
                    yield sse
        raise StreamInterruptedError(url, received, "the server closed the stream")

    async def _messages(
        self, url: str, body: dict[str, Any], parse: Callable[[str], T], what: str, received: list[str]
    ) -> AsyncIterator[T]:
        """The `message` events of a streamed POST, parsed; a payload `parse` refuses is skipped.

        Iterate it inside `aclosing()`: leaving early then closes the response at once, in this task.
        """
        async with self._open_stream(url, body) as response, aclosing(self._events(response, url, received)) as events:
            async for sse in events:
                if sse.event != "message":
                    continue
                try:
                    item = parse(sse.data)
                except ValidationError:
                    log.debug("skipping a message that is not a %s: %.200s", what, sse.data)
                    continue
                yield item

    def _unexpected(self, response: httpx.Response, url: str, expected: str, exc: Exception) -> AgentsHTTPError:
        """A success status whose body is not `expected`."""
        return AgentsHTTPError(
            f"the answer is not {expected} ({type(exc).__name__})",
            status=response.status_code,
            url=url,
            request_id=request_id(response, self._secrets),
            body_excerpt=response.text,
        )


def _masked(sse: SSEEvent, secrets: Sequence[str]) -> SSEEvent:
    """The event with the presented key masked: an upstream model or proxy may quote it in any message."""
    data = redact(sse.data, secrets)
    return sse if data == sse.data else dataclasses.replace(sse, data=data)


async def _decoded(response: httpx.Response, url: str, received: list[str]) -> AsyncIterator[SSEEvent]:
    """Every SSE event of the body, the one a final unterminated block holds included."""
    decoder = SSEDecoder()
    try:
        async for chunk in response.aiter_bytes():
            for sse in decoder.feed(chunk):
                yield sse
    except httpx.TransportError as exc:
        raise StreamInterruptedError(url, received, f"connection broke: {transport_reason(exc)}") from None
    for sse in decoder.close():
        yield sse


def _handle(sse: SSEEvent, url: str, received: list[str]) -> bool:
    """True at the end of the stream; raises on an `error` event."""
    if sse.is_done:
        return True
    if sse.event == "error":
        try:
            payload = json.loads(sse.data)
            message = payload.get("message") or payload.get("error", {}).get("message") or sse.data
        except (ValueError, AttributeError):
            message = sse.data
        raise StreamInterruptedError(url, received, f"the server sent an error event: {redact(str(message))[:300]}")
    return False
