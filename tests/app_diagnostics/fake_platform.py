"""A local stand-in for the Heroku Platform API (`https://api.heroku.com`) and its log streams.

No Heroku account is reachable offline, so the app-diagnostics tests talk to this small Starlette app
instead: in-process through `httpx.ASGITransport`, or over loopback HTTP under uvicorn for the STDIO
tests. It follows Heroku's published hyper-schema (`heroku_schema.py`) and speaks the protocol details
our client must handle:

- `Accept: application/vnd.heroku+json; version=3` (or `3.sdk`) and `Authorization: Bearer <key>`;
- `Range` / `Next-Range` pagination with 206 answers, `Accept-Ranges` and `Content-Range`;
- `RateLimit-Remaining` on every answer, a 429 `rate_limit` body when the pool is empty;
- Heroku's error bodies `{id, message, url}`; faults on demand (`fail(503, times=2)`);
- log sessions whose `logplex_url` (same host, path `/logplex/...`) streams lines from `log_generator`
  and refuses any request that carries the API key (a logplex URL is self-authenticating): plain text
  that ends for Cedar apps; for Fir apps an event stream (`data:` lines) that stays open, like a tail;
- `FakeHeroku(logs="incident" | "saturated" | "healthy")` picks the story every log session tells
  (`LOG_STORIES`); `log_source` can be replaced by any function of the app.

Every exchange is recorded; `contract_problems()` checks requests against the schema's links (method,
href, body schema) and answers against their `targetSchema`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fake_world import FakeApp, World, build_world
from heroku_schema import find_links, validate_request, validate_response
from log_generator import LogScenario, generate_lines
from saturation_logs import excerpt, sick_excerpt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["FAKE_API_KEY", "Exchange", "FakeHeroku"]

FAKE_API_KEY = "hrku-FAKEkey-0123456789abcdef0123456789abcdef"
ACCEPTED = {"application/vnd.heroku+json; version=3", "application/vnd.heroku+json; version=3.sdk"}
MAX_LOG_LINES = 1500  # Heroku's tail buffer
FIR_LIVE_LINES = 40  # what a Fir tail shows in the fake: a few live lines, then nothing new
_RANGE = re.compile(r"^\s*(?P<field>[\w-]+)\s*(?P<start>[^.;,]*)\.\.(?P<end>[^;,]*)(?P<opts>.*)$")
# list endpoint -> fields its Range header may sort on (Heroku answers them in Accept-Ranges)
_RANGE_FIELDS = {
    "releases": ("id", "version"), "dynos": ("id", "name"), "formation": ("id", "type"),
    "addons": ("id", "name"), "features": ("id", "name"), "builds": ("id", "started_at"),
}


@dataclass
class Exchange:
    kind: str  # "api" or "logplex"
    method: str
    path: str
    headers: dict[str, str]  # without Authorization
    body: Any
    status: int
    response: Any = None
    had_authorization: bool = False


@dataclass
class _Fault:
    status: int
    times: int
    method: str | None
    path_contains: str | None
    error_id: str
    message: str
    retry_after: str | None


@dataclass
class _Session:
    token: str
    lines: list[str] = field(default_factory=list)
    tail: bool = False  # Fir: the session stays open as an event stream after the lines it has


class FakeHeroku:
    """The fake API as an ASGI app (`FakeHeroku()` is callable like any ASGI app)."""

    def __init__(self, world: World | None = None, *, api_key: str = FAKE_API_KEY,
                 rate_limit_remaining: int = 4500, logs: str = "incident") -> None:
        self.world = world or build_world()
        self.api_key = api_key
        self.rate_limit_remaining = rate_limit_remaining
        self.refill_on_429 = 0  # tokens regained after each 429, as if the client's back-off let time pass
        self.exchanges: list[Exchange] = []
        if logs not in LOG_STORIES:
            raise ValueError(f"logs={logs!r}: choose one of {', '.join(LOG_STORIES)}")
        self.log_source: Callable[[FakeApp], list[str]] = LOG_STORIES[logs]
        self.stall_log_stream_after: int | None = None  # lines, then the stream hangs open
        self._faults: list[_Fault] = []
        self._sessions: dict[str, _Session] = {}
        methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    # -- test controls ----------------------------------------------------------------------------

    def fail(self, status: int, *, times: int = 1, method: str | None = None, path_contains: str | None = None,
             error_id: str | None = None, message: str | None = None, retry_after: str | None = None) -> None:
        """Answer the next `times` matching API calls with `status` and a Heroku error body
        (`status=0`: never answer, to exercise the client's timeout)."""
        default_id = {429: "rate_limit", 500: "internal_server_error", 503: "service_unavailable"}.get(status, "bad_request")
        self._faults.append(_Fault(status, times, method, path_contains, error_id or default_id,
                                   message or "Heroku is having a moment; try again.", retry_after))

    def api_calls(self, path_contains: str = "") -> list[Exchange]:
        return [e for e in self.exchanges if e.kind == "api" and path_contains in e.path]

    def contract_problems(self) -> list[str]:
        """Every way recorded requests or answers strayed from the published schema."""
        problems = []
        for ex in self.exchanges:
            if ex.kind != "api":
                continue
            links = find_links(ex.method, ex.path)
            if not links:
                problems.append(f"{ex.method} {ex.path}: no link of the schema matches")
                continue
            request_errors = [validate_request(link, ex.body) for link in links]
            if all(request_errors):
                problems.append(f"{ex.method} {ex.path} request body: {request_errors[0]}")
            if 200 <= ex.status < 300:
                response_errors = validate_response(links[0], ex.response)
                if response_errors:
                    problems.append(f"{ex.method} {ex.path} answer: {response_errors[:5]}")
        return problems

    # -- HTTP -------------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        authorization = request.headers.get("authorization")
        if path.startswith("/logplex/"):
            self.exchanges.append(Exchange("logplex", request.method, path, headers, None, 0,
                                           had_authorization=authorization is not None))
            return self._logplex(request, path, authorization)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<not json>"
        exchange = Exchange("api", request.method, path, headers, body, 0)
        self.exchanges.append(exchange)
        status, payload, extra = self._answer(request, path, body, authorization)
        if status == 0:  # fail(0): a server that accepted the request and never answers
            await anyio.Event().wait()
        exchange.status, exchange.response = status, payload
        out_headers = {"RateLimit-Remaining": str(max(0, self.rate_limit_remaining)), "Request-Id": str(uuid.uuid4()), **extra}
        return JSONResponse(payload, status_code=status, headers=out_headers)

    def _answer(self, request: Request, path: str, body: Any, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        if request.headers.get("accept", "").strip() not in ACCEPTED:
            return 400, _err("missing_version", "Please specify a version along with Heroku's API MIME type. "
                             "For example, `Accept: application/vnd.heroku+json; version=3`."), {}
        if authorization != f"Bearer {self.api_key}":
            return 401, _err("unauthorized", "Invalid credentials provided."), {}
        if path == "/account/rate-limits" and request.method == "GET":
            return 200, {"remaining": self.rate_limit_remaining}, {}
        if self.rate_limit_remaining <= 0:
            self.rate_limit_remaining += self.refill_on_429
            return 429, _err("rate_limit", "Your account reached the API rate limit\nPlease wait a few minutes before making new requests"), {}
        self.rate_limit_remaining -= 1
        for fault in self._faults:
            if fault.times > 0 and (fault.method in (None, request.method)) and (fault.path_contains or "") in path:
                fault.times -= 1
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return fault.status, _err(fault.error_id, fault.message), extra
        return self._route(request, path, body)

    def _route(self, request: Request, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        parts = path.strip("/").split("/")
        if parts[0] != "apps" or len(parts) < 2:
            return 404, _err("not_found", "The requested API endpoint was not found. Are you using the right HTTP verb?"), {}
        fake = self.world.find(parts[1])
        if fake is None:
            return 404, _err("not_found", "Couldn't find that app."), {}
        rest, method = parts[2:], request.method
        if method == "GET" and not rest:
            return 200, fake.app, {}
        if method == "GET" and len(rest) == 1 and rest[0] in _RANGE_FIELDS:
            items = {"releases": fake.releases, "dynos": fake.dynos, "formation": fake.formation,
                     "addons": fake.addons, "features": fake.features, "builds": fake.builds}[rest[0]]
            return _page(items, rest[0], request.headers.get("range"))
        if method == "GET" and rest == ["config-vars"]:
            return 200, fake.current_config(), {}
        if method == "GET" and len(rest) >= 2 and rest[0] == "releases":
            release = next((r for r in fake.releases if rest[1] in (r["id"], str(r["version"]))), None)
            if release is None:
                return 404, _err("not_found", "Couldn't find that release."), {}
            if len(rest) == 2:
                return 200, release, {}
            if rest[2:] == ["config-vars"]:
                return 200, fake.config_by_release.get(release["version"], {}), {}
        if method == "GET" and len(rest) == 2 and rest[0] in ("dynos", "builds", "features", "addons"):
            items = {"dynos": fake.dynos, "builds": fake.builds, "features": fake.features, "addons": fake.addons}[rest[0]]
            found = next((x for x in items if rest[1] in (x["id"], x.get("name"))), None)
            if found is None:
                return 404, _err("not_found", f"Couldn't find that {rest[0][:-1]}."), {}
            return 200, found, {}
        if method == "POST" and rest == ["log-sessions"]:
            return self._create_log_session(request, fake, body or {})
        return 404, _err("not_found", "The requested API endpoint was not found. Are you using the right HTTP verb?"), {}

    # -- log sessions -----------------------------------------------------------------------------

    def _create_log_session(self, request: Request, fake: FakeApp, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        lines = body.get("lines", 100)
        if not isinstance(lines, int) or lines < 0:
            return 422, _err("invalid_params", "lines must be a non-negative integer."), {}
        selected = [line for line in self.log_source(fake) if _keeps(line, body)]
        session_id, token = str(uuid.uuid4()), uuid.uuid4().hex
        if fake.app["generation"]["name"] == "fir":  # no history on Fir: a live tail (here: the recent lines, then quiet)
            self._sessions[session_id] = _Session(token, selected[-FIR_LIVE_LINES:], tail=True)
        else:
            self._sessions[session_id] = _Session(token, selected[-min(lines, MAX_LOG_LINES):] if lines else [])
        url = f"{str(request.base_url).rstrip('/')}/logplex/sessions/{session_id}?srv={token}"
        now = "2026-11-25T10:00:00Z"
        return 201, {"created_at": now, "id": session_id, "logplex_url": url, "updated_at": now}, {}

    def _logplex(self, request: Request, path: str, authorization: str | None) -> Response:
        if authorization is not None:
            return PlainTextResponse("refusing a request that carries an Authorization header: logplex URLs "
                                     "carry their own token, the Platform API key must not be sent here\n", 400)
        session = self._sessions.get(path.rsplit("/", 1)[-1])
        if session is None or request.query_params.get("srv") != session.token:
            return PlainTextResponse("Session not found\n", 404)
        stall_after = self.stall_log_stream_after
        if session.tail:
            async def events():
                for line in session.lines:
                    yield f"event: message\ndata: {line}\n\n"
                await anyio.Event().wait()  # a tail never ends by itself; the client's time budget does

            return StreamingResponse(events(), media_type="text/event-stream")

        async def stream():
            for index, line in enumerate(session.lines):
                if stall_after is not None and index >= stall_after:
                    await anyio.Event().wait()  # hang like a slow stream; the client's timeout ends it
                yield line + "\n"

        return StreamingResponse(stream(), media_type="text/plain; charset=utf-8")


def _err(error_id: str, message: str) -> dict[str, str]:
    return {"id": error_id, "message": message, "url": f"https://devcenter.heroku.com/articles/platform-api-reference#{error_id}"}


def _page(items: list[dict[str, Any]], kind: str, range_header: str | None) -> tuple[int, Any, dict[str, str]]:
    fields = _RANGE_FIELDS[kind]
    headers = {"Accept-Ranges": ", ".join(fields)}
    field_name, start, order, limit = "id", "", "asc", 200
    if range_header:
        match = _RANGE.match(range_header)
        if not match or match["field"] not in fields:
            return 400, _err("bad_request", f"Invalid Range header; {kind} may be ranged by {', '.join(fields)}."), headers
        field_name, start = match["field"], match["start"].strip()
        for option in re.split(r"[;,]", match["opts"]):
            key, _, value = option.strip().partition("=")
            if key == "max" and value.isdigit():
                limit = max(1, min(1000, int(value)))
            elif key == "order" and value in ("asc", "desc"):
                order = value
    key_of = _sort_key(kind, field_name)
    ordered = sorted(items, key=key_of, reverse=order == "desc")
    if start:
        exclusive = start.startswith("]")
        bound = start.lstrip("]")
        pos = next((i for i, item in enumerate(ordered) if str(key_of(item)) == bound), None)
        if pos is not None:
            ordered = ordered[pos + 1 if exclusive else pos:]
    page = ordered[:limit]
    if page:
        headers["Content-Range"] = f"{field_name} {key_of(page[0])}..{key_of(page[-1])}"
    if len(ordered) > limit:
        headers["Next-Range"] = f"{field_name} ]{key_of(page[-1])}..; max={limit}, order={order}"
        return 206, page, headers
    return 200, page, headers


def _sort_key(kind: str, field_name: str) -> Callable[[dict[str, Any]], Any]:
    if field_name == "started_at":
        return lambda item: item["created_at"]
    if field_name == "type":
        return lambda item: item["type"]
    return lambda item: item[field_name]


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
LOG_STORIES: dict[str, Callable[[FakeApp], list[str]]] = {
    "incident": _default_log_lines,
    "saturated": lambda fake: sick_excerpt(MAX_LOG_LINES),
    "healthy": lambda fake: excerpt(MAX_LOG_LINES),
}


if __name__ == "__main__":  # try mcp-appdiag offline: python tests/app_diagnostics/fake_platform.py [PORT] [LOGS]
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5050
    story = sys.argv[2] if len(sys.argv) > 2 else "incident"
    print(f"fake Heroku Platform API on http://127.0.0.1:{port} serving {story!r} logs; point the server at it with\n"
          f"  HEROKU_API_URL=http://127.0.0.1:{port} HEROKU_API_KEY={FAKE_API_KEY} HEROKU_APP_NAME=acme-shop\n"
          f"apps: {', '.join(build_world().apps)}; log stories: {', '.join(LOG_STORIES)}", file=sys.stderr)
    uvicorn.run(FakeHeroku(logs=story), host="127.0.0.1", port=port, log_level="warning")
