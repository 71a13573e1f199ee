"""Log sessions of the fake Platform API and the logplex URLs that stream them.

`POST /apps/{app}/log-sessions` answers a `logplex_url` on the same host (path `/logplex/...`) whose
token is its only credential: a request that carries the API key is refused. Cedar apps get the last
`lines` lines as plain text that ends; Fir apps a live tail, an event stream (`data:` lines) that
stays open. Either can hang or drop mid-way on demand. `LOG_STORIES` are the logs every session can tell.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fake_answers import Answer, heroku_error
from fake_world import FakeApp
from log_generator import LogScenario, generate_lines
from saturation_logs import excerpt, sick_excerpt
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

__all__ = ["LOG_STORIES", "MAX_LOG_LINES", "LogSessions", "LogSource", "LogStreamDropped"]

MAX_LOG_LINES = 1500  # Heroku's tail buffer
FIR_LIVE_LINES = 40  # what a Fir tail shows in the fake: a few live lines, then nothing new
LogSource = Callable[[FakeApp], list[str]]


@dataclass
class _Session:
    token: str
    lines: list[str] = field(default_factory=list)
    tail: bool = False  # Fir: the session stays open as an event stream after the lines it has


class LogSessions:
    """The open log sessions: created through the API, read (once or as a tail) at their logplex URL."""

    def __init__(self) -> None:
        self._open: dict[str, _Session] = {}

    def create(self, request: Request, fake: FakeApp, body: dict[str, Any], source: LogSource) -> Answer:
        lines = body.get("lines", 100)
        if not isinstance(lines, int) or lines < 0:
            return 422, heroku_error("invalid_params", "lines must be a non-negative integer."), {}
        selected = [line for line in source(fake) if _keeps(line, body)]
        session_id, token = str(uuid.uuid4()), uuid.uuid4().hex
        if fake.app["generation"]["name"] == "fir":  # no history on Fir: a live tail (here: the recent lines, then quiet)
            self._open[session_id] = _Session(token, selected[-FIR_LIVE_LINES:], tail=True)
        else:
            self._open[session_id] = _Session(token, selected[-min(lines, MAX_LOG_LINES):] if lines else [])
        url = f"{str(request.base_url).rstrip('/')}/logplex/sessions/{session_id}?srv={token}"
        now = "2026-11-25T10:00:00Z"
        return 201, {"created_at": now, "id": session_id, "logplex_url": url, "updated_at": now}, {}

    def stream(self, request: Request, path: str, authorization: str | None, *,
               stall_after: int | None = None, drop_after: int | None = None) -> Response:
        """The session's lines. `stall_after` lines in, the stream hangs open (for client timeouts);
        `drop_after` lines in, the connection drops mid-body, as a real logplex connection can."""
        if authorization is not None:
            return PlainTextResponse("refusing a request that carries an Authorization header: logplex URLs "
                                     "carry their own token, the Platform API key must not be sent here\n", 400)
        session = self._open.get(path.rsplit("/", 1)[-1])
        if session is None or request.query_params.get("srv") != session.token:
            return PlainTextResponse("Session not found\n", 404)

        async def body():
            for index, line in enumerate(session.lines):
                if drop_after is not None and index >= drop_after:
                    raise LogStreamDropped(f"the fake dropped the log stream after {drop_after} lines")
                if stall_after is not None and index >= stall_after:
                    await anyio.Event().wait()  # hang like a slow stream; the client's timeout ends it
                yield f"event: message\ndata: {line}\n\n" if session.tail else line + "\n"
            if session.tail:
                await anyio.Event().wait()  # a tail never ends by itself; the client's time budget does

        media_type = "text/event-stream" if session.tail else "text/plain; charset=utf-8"
        return StreamingResponse(body(), media_type=media_type)


class LogStreamDropped(ConnectionError):
    """Raised inside a log stream's body: the server closes the connection before the body ends."""


def _keeps(line: str, body: dict[str, Any]) -> bool:
    source, dyno, ptype = body.get("source"), body.get("dyno_name"), body.get("type")
    match = re.search(r" (app|heroku)\[([^\]]+)\]: ", line)
    if not match:
        return not (source or dyno or ptype)
    if source and match[1] != source:
        return False
    if dyno and match[2] != dyno:
        return False
    if ptype and match[2].split(".")[0] != ptype:
        return False
    return True


def _default_log_lines(fake: FakeApp) -> list[str]:
    web = next((f["quantity"] for f in fake.formation if f["type"] == "web"), 0)
    workers = next((f["quantity"] for f in fake.formation if f["type"] == "worker"), 0)
    current = next((r["version"] for r in fake.releases if r["current"]), 1)
    scenario = LogScenario(app=fake.app["name"], host=fake.app["web_url"].split("//")[1].rstrip("/"),
                           web_dynos=web, worker_dynos=workers, release_version=current)
    return generate_lines(MAX_LOG_LINES, scenario)


# What every app's log sessions serve: "incident" (the release, timeouts, R14/R15 and crashes of
# `log_generator`), "saturated" (Heroku's own Postgres, Redis and dyno metrics and Postgres service logs
# reporting saturation, `saturation_logs.sick_excerpt`) or "healthy" (the same shapes, all normal).
LOG_STORIES: dict[str, LogSource] = {
    "incident": _default_log_lines,
    "saturated": lambda fake: sick_excerpt(MAX_LOG_LINES),
    "healthy": lambda fake: excerpt(MAX_LOG_LINES),
}
