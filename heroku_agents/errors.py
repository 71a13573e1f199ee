"""Errors raised by the client side of Heroku's Agents API, each saying what to fix.

Hierarchy (every class carries an ``exit_code`` used by ``scripts/run_agent.py`` and
``scripts/register_servers.py``)::

    AgentsError                         base; exit 1
    ├── ConfigError                     an agent_configs/*.yaml file is invalid (file, line, field); exit 2
    ├── AgentsConnectionError           INFERENCE_URL cannot be reached (names the URL); exit 5
    ├── AgentsHTTPError                 a non-2xx answer (status, request_id, body excerpt); exit 6
    │   ├── AuthenticationError         401/403: bad or missing INFERENCE_KEY; exit 3
    │   ├── RequestRejectedError        400/404/422: the server's own message; exit 4
    │   ├── RateLimitedError            429 still returned after the bounded retries; exit 6
    │   └── ServerError                 5xx still returned after the bounded retries; exit 6
    ├── StreamInterruptedError          the SSE stream ended before `done` (says what was received); exit 7
    ├── AgentLoopError                  chat mode: no final answer within the turn limit; exit 8
    ├── McpServerError                  chat mode / preflight: an mcp* process failed to start or list tools; exit 9
    ├── RegistrationError               scripts/register_servers.py; exit 10
    │   ├── PreflightError              local servers or configs are not registrable (lists every problem)
    │   ├── PlatformAPIError            the Heroku Platform API refused (status, request id; names HEROKU_API_KEY)
    │   └── RegistrationTimeout         /v1/mcp/servers never showed every process type registered/synced
    └── ToolsFailedError                the run ended, but every tool call it made failed; exit 11

Task groups (the driver's own, uvicorn's, the MCP SDK's) wrap what they raise in exception groups:
``innermost`` finds the error inside, so an exit code never depends on which group raised it.

Messages never contain INFERENCE_KEY, HEROKU_API_KEY or a URL password: body excerpts and
URLs pass through ``heroku_agents.redaction.redact``.
"""

from __future__ import annotations

from collections.abc import Sequence

from heroku_agents.redaction import redact

__all__ = [
    "EXIT_CODES",
    "AgentLoopError",
    "AgentsConnectionError",
    "AgentsError",
    "AgentsHTTPError",
    "AuthenticationError",
    "ConfigError",
    "McpServerError",
    "PlatformAPIError",
    "PreflightError",
    "RateLimitedError",
    "RegistrationError",
    "RegistrationTimeout",
    "RequestRejectedError",
    "ServerError",
    "StreamInterruptedError",
    "ToolsFailedError",
    "first_line",
    "innermost",
]

BODY_EXCERPT_LIMIT = 500


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message` (300 chars at most); an exception group speaks through its first leaf.

    The one short form of an unexpected exception in tool results, registry records and logs.
    """
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


def innermost(exc: BaseException) -> BaseException:
    """The exception inside any nesting of exception groups: the first leaf that is not a cancellation
    (a task group cancels its siblings when one fails; the failure is the point, not the cancellations)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        leaves = [e for e in exc.exceptions if not _is_cancellation(e)]
        exc = (leaves or list(exc.exceptions))[0]
    return exc


def _is_cancellation(exc: BaseException) -> bool:
    import asyncio

    return isinstance(exc, asyncio.CancelledError) or (
        isinstance(exc, BaseExceptionGroup) and all(_is_cancellation(e) for e in exc.exceptions)
    )


class AgentsError(Exception):
    """Base of every error heroku_agents raises on purpose."""

    exit_code = 1


class ConfigError(AgentsError):
    """An agent config is invalid; the message starts with `file:line: field:`."""

    exit_code = 2

    def __init__(self, message: str, *, path: str, line: int | None = None, field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class AgentsConnectionError(AgentsError):
    """The endpoint could not be reached at all (refused, DNS, TLS, timeout)."""

    exit_code = 5

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        super().__init__(
            f"cannot reach {self.url} ({reason}); check INFERENCE_URL "
            "(`heroku config:get INFERENCE_URL -a APP`), or unset it to use the local endpoint"
        )


class AgentsHTTPError(AgentsError):
    """A non-2xx answer. Carries `status`, `request_id` and a redacted `body_excerpt`."""

    exit_code = 6

    def __init__(
        self,
        message: str,
        *,
        status: int,
        url: str,
        request_id: str | None = None,
        body_excerpt: str = "",
    ) -> None:
        self.status = status
        self.url = redact(url)
        self.request_id = request_id
        self.body_excerpt = redact(body_excerpt)[:BODY_EXCERPT_LIMIT]
        self.server_message = message
        rid = f", request id {request_id}" if request_id else ""
        super().__init__(f"HTTP {status} from {self.url}{rid}: {redact(message)}")


class AuthenticationError(AgentsHTTPError):
    """401/403: the key was refused."""

    exit_code = 3

    def __init__(self, message: str, **kw: object) -> None:
        super().__init__(
            f"{message} — INFERENCE_KEY was refused; set it from the add-on: "
            "`export INFERENCE_KEY=$(heroku config:get INFERENCE_KEY -a APP)`",
            **kw,  # type: ignore[arg-type]
        )


class RequestRejectedError(AgentsHTTPError):
    """400/404/422: the request is invalid; the server's own message is shown."""

    exit_code = 4


class RateLimitedError(AgentsHTTPError):
    """429 after the bounded retries."""


class ServerError(AgentsHTTPError):
    """5xx after the bounded retries."""


class StreamInterruptedError(AgentsError):
    """The event stream stopped before `event:done`; says what had been received."""

    exit_code = 7

    def __init__(self, url: str, received: Sequence[str], reason: str) -> None:
        self.url = redact(url)
        self.received = list(received)
        got = ", ".join(self.received) if self.received else "no events"
        super().__init__(f"the stream from {self.url} ended before `done` ({reason}); received: {got}")


class AgentLoopError(AgentsError):
    """Chat mode ran out of turns without a final answer (a typed outcome, not a silent stop)."""

    exit_code = 8


class McpServerError(AgentsError):
    """An mcp* process of the Procfile could not be started, listed or called."""

    exit_code = 9


class RegistrationError(AgentsError):
    """Registration of the MCP servers with the inference add-on failed."""

    exit_code = 10


class PreflightError(RegistrationError):
    """The local servers or configs are not registrable; `problems` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"preflight found {len(self.problems)} problem(s):\n{lines}")


class PlatformAPIError(RegistrationError):
    """The Heroku Platform API answered with an error."""

    def __init__(self, message: str, *, status: int, request_id: str | None = None) -> None:
        self.status = status
        self.request_id = request_id
        rid = f", request id {request_id}" if request_id else ""
        hint = (
            "; HEROKU_API_KEY was refused (`export HEROKU_API_KEY=$(heroku auth:token)`)"
            if status in (401, 403)
            else ""
        )
        super().__init__(f"Platform API HTTP {status}{rid}: {redact(message)}{hint}")


class RegistrationTimeout(RegistrationError):
    """Servers were still not registered/synced when the bounded poll ended."""


class ToolsFailedError(AgentsError):
    """The run finished, but every tool call it made returned an error: not a success."""

    exit_code = 11


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error",
    2: "usage or config error (the message names file, line and field)",
    3: "INFERENCE_KEY refused (401/403)",
    4: "request rejected by the server (400/404/422)",
    5: "endpoint unreachable (names the URL)",
    6: "rate limited or server error after retries (429/5xx)",
    7: "stream interrupted before `done`",
    8: "chat mode: no final answer within the turn limit",
    9: "an MCP server of the Procfile failed",
    10: "registration failed (preflight, Platform API, or polling timed out)",
    11: "the run finished but every tool call failed (each error is shown)",
}
