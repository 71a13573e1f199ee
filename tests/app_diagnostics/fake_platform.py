"""A local stand-in for the Heroku Platform API (`https://api.heroku.com`) and its log streams.

No Heroku account is reachable offline, so the app-diagnostics tests talk to this small Starlette app
instead: in-process through `httpx.ASGITransport`, or over loopback HTTP under uvicorn for the STDIO
tests. It follows Heroku's published hyper-schema (`heroku_schema.py`) and speaks the protocol details
our client must handle:

- `Accept: application/vnd.heroku+json; version=3` (or `3.sdk`) and `Authorization: Bearer <key>`;
- `Range` / `Next-Range` pagination with 206 answers, `Accept-Ranges` and `Content-Range` (`fake_answers.py`);
- `RateLimit-Remaining` on every answer, a 429 `rate_limit` body when the pool is empty;
- Heroku's error bodies `{id, message, url}`; faults on demand (`fail(503, times=2)`);
- log sessions (`fake_logplex.py`) whose `logplex_url` (same host, path `/logplex/...`) streams lines
  and refuses any request that carries the API key (a logplex URL is self-authenticating): plain text
  that ends for Cedar apps; for Fir apps an event stream (`data:` lines) that stays open, like a tail;
  either can hang (`stall_log_stream_after`) or drop mid-way (`drop_log_stream_after`) on demand;
- `FakeHeroku(logs="incident" | "saturated" | "healthy")` picks the story every log session tells
  (`LOG_STORIES`); `log_source` can be replaced by any function of the app.

Every exchange is recorded; `contract_problems()` checks requests against the schema's links (method,
href, body schema) and answers against their `targetSchema`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import anyio
from fake_answers import RANGE_FIELDS, Answer, heroku_error, page
from fake_logplex import LOG_STORIES, LogSessions, LogSource
from fake_world import World, build_world
from heroku_schema import find_links, validate_request, validate_response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FAKE_API_KEY", "Exchange", "FakeHeroku"]

FAKE_API_KEY = "hrku-FAKEkey-0123456789abcdef0123456789abcdef"
ACCEPTED = {"application/vnd.heroku+json; version=3", "application/vnd.heroku+json; version=3.sdk"}


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
        self.log_source: LogSource = LOG_STORIES[logs]
        self.stall_log_stream_after: int | None = None  # lines, then the stream hangs open
        self.drop_log_stream_after: int | None = None  # lines, then the connection drops mid-stream
        self._faults: list[_Fault] = []
        self._log_sessions = LogSessions()
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
            return self._log_sessions.stream(request, path, authorization, stall_after=self.stall_log_stream_after,
                                             drop_after=self.drop_log_stream_after)
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

    def _answer(self, request: Request, path: str, body: Any, authorization: str | None) -> Answer:
        if request.headers.get("accept", "").strip() not in ACCEPTED:
            return 400, heroku_error("missing_version", "Please specify a version along with Heroku's API MIME type. "
                             "For example, `Accept: application/vnd.heroku+json; version=3`."), {}
        if authorization != f"Bearer {self.api_key}":
            return 401, heroku_error("unauthorized", "Invalid credentials provided."), {}
        if path == "/account/rate-limits" and request.method == "GET":
            return 200, {"remaining": self.rate_limit_remaining}, {}
        if self.rate_limit_remaining <= 0:
            self.rate_limit_remaining += self.refill_on_429
            return 429, heroku_error("rate_limit", "Your account reached the API rate limit\nPlease wait a few minutes before making new requests"), {}
        self.rate_limit_remaining -= 1
        for fault in self._faults:
            if fault.times > 0 and (fault.method in (None, request.method)) and (fault.path_contains or "") in path:
                fault.times -= 1
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return fault.status, heroku_error(fault.error_id, fault.message), extra
        return self._route(request, path, body)

    def _route(self, request: Request, path: str, body: Any) -> Answer:
        parts = path.strip("/").split("/")
        if parts[0] != "apps" or len(parts) < 2:
            return 404, heroku_error("not_found", "The requested API endpoint was not found. Are you using the right HTTP verb?"), {}
        fake = self.world.find(parts[1])
        if fake is None:
            return 404, heroku_error("not_found", "Couldn't find that app."), {}
        rest, method = parts[2:], request.method
        if method == "GET" and not rest:
            return 200, fake.app, {}
        if method == "GET" and len(rest) == 1 and rest[0] in RANGE_FIELDS:
            items = {"releases": fake.releases, "dynos": fake.dynos, "formation": fake.formation,
                     "addons": fake.addons, "features": fake.features, "builds": fake.builds}[rest[0]]
            return page(items, rest[0], request.headers.get("range"))
        if method == "GET" and rest == ["config-vars"]:
            return 200, fake.current_config(), {}
        if method == "GET" and len(rest) >= 2 and rest[0] == "releases":
            release = next((r for r in fake.releases if rest[1] in (r["id"], str(r["version"]))), None)
            if release is None:
                return 404, heroku_error("not_found", "Couldn't find that release."), {}
            if len(rest) == 2:
                return 200, release, {}
            if rest[2:] == ["config-vars"]:
                return 200, fake.config_by_release.get(release["version"], {}), {}
        if method == "GET" and len(rest) == 2 and rest[0] in ("dynos", "builds", "features", "addons"):
            items = {"dynos": fake.dynos, "builds": fake.builds, "features": fake.features, "addons": fake.addons}[rest[0]]
            found = next((x for x in items if rest[1] in (x["id"], x.get("name"))), None)
            if found is None:
                return 404, heroku_error("not_found", f"Couldn't find that {rest[0][:-1]}."), {}
            return 200, found, {}
        if method == "POST" and rest == ["log-sessions"]:
            return self._log_sessions.create(request, fake, body or {}, self.log_source)
        return 404, heroku_error("not_found", "The requested API endpoint was not found. Are you using the right HTTP verb?"), {}

if __name__ == "__main__":  # try mcp-appdiag offline: python tests/app_diagnostics/fake_platform.py [PORT] [LOGS]
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5050
    story = sys.argv[2] if len(sys.argv) > 2 else "incident"
    print(f"fake Heroku Platform API on http://127.0.0.1:{port} serving {story!r} logs; point the server at it with\n"
          f"  HEROKU_API_URL=http://127.0.0.1:{port} HEROKU_API_KEY={FAKE_API_KEY} HEROKU_APP_NAME=acme-shop\n"
          f"apps: {', '.join(build_world().apps)}; log stories: {', '.join(LOG_STORIES)}", file=sys.stderr)
    uvicorn.run(FakeHeroku(logs=story), host="127.0.0.1", port=port, log_level="warning")
