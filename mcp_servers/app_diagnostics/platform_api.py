"""Async client of the Heroku Platform API (v3): auth, Range pagination, rate-limit pacing, retries.

Every failure a tool should explain is a `PlatformAPIError` (messages built in `platform_errors.py`),
a `ToolError` the model reads:

    ToolError (mcp SDK)
     └── PlatformAPIError      .status (HTTP status or None), .error_id (Heroku's `id`), .request_id
           missing_api_key     HEROKU_API_KEY unset (only tools that call the API raise it)
           not_found           "app X not found or not visible to this API key"
           unauthorized        names HEROKU_API_KEY and how to get a fresh token
           rate_limit          429 after bounded, jittered back-off
           unavailable         5xx / connection errors / timeouts after bounded retries

The API key is sent only to `heroku_api_url`; it never appears in a message, and log-stream URLs
(which carry their own token) are fetched without it (`log_sessions.py`).
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from mcp_servers.app_diagnostics.platform_errors import MISSING_KEY, PlatformAPIError, error_from_response
from mcp_servers.app_diagnostics.settings import AppDiagSettings

if TYPE_CHECKING:
    import httpx

__all__ = ["ACCEPT", "MISSING_KEY", "USER_AGENT", "AppArgument", "PlatformAPI", "PlatformAPIError", "app_path", "resolve_app"]

logger = logging.getLogger(__name__)

ACCEPT = "application/vnd.heroku+json; version=3"
USER_AGENT = "heroku-mcp-toolkit/mcp-appdiag"
DEFAULT_PAGE_SIZE = 200  # Heroku's default page; the maximum is 1000
MAX_PAGE_SIZE = 1000
MAX_PAGES = 20  # a bound on one listing: 20 pages of up to 1000 items
MAX_BACKOFF_S = 10.0
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


# The `app` argument of the tools that read one app through the API (`resolve_app` fills in the default).
AppArgument = Annotated[str | None, Field(description="Heroku app name or id; default HEROKU_APP_NAME.")]


def resolve_app(app: str | None, settings: AppDiagSettings) -> str:
    """The app a tool works on: its argument, else HEROKU_APP_NAME; checked to be a name or an id.

    Raises:
        ToolError: neither is given, or the value cannot be an app name or id.
    """
    name = (app or "").strip() or settings.heroku_app_name
    if not name:
        raise ToolError("no app given: pass `app` (the Heroku app name) or set HEROKU_APP_NAME")
    if not (_APP_NAME.match(name) or _UUID.match(name)):
        raise ToolError(
            f"{name[:60]!r} is not a Heroku app name (3-30 lowercase letters, digits and dashes, "
            "starting with a letter) or an app id"
        )
    return name


def app_path(app: str, *parts: str | int) -> str:
    """`/apps/{app}/...` with every segment URL-quoted."""
    return "/".join(["/apps", quote(app, safe=""), *(quote(str(p), safe="") for p in parts)])


class PlatformAPI:
    """One client per server process. Tests pass `http=httpx.AsyncClient(transport=ASGITransport(fake))`
    and `sleep=` to record back-off delays instead of waiting them out."""

    def __init__(
        self,
        settings: AppDiagSettings,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._http = http
        self._owns_http = http is None
        self._sleep = sleep or anyio.sleep
        self._jitter = jitter
        self.rate_limit_remaining: int | None = None
        self.retries = 0

    # -- plumbing -------------------------------------------------------------------------------

    def http(self) -> httpx.AsyncClient:
        """The HTTP client, for URLs outside the API that carry their own token (log streams): send no key."""
        return self._client()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx  # imported on first use: the server's cold start does not pay for it

            # httpx logs every URL at INFO; log-session URLs carry a token, so keep it quieter.
            logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.request_timeout_s), follow_redirects=False
            )
        return self._http

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def _auth_headers(self) -> dict[str, str]:
        key = self.settings.heroku_api_key
        if key is None:
            raise PlatformAPIError(MISSING_KEY, error_id="missing_api_key")
        return {"Accept": ACCEPT, "Authorization": f"Bearer {key.get_secret_value()}", "User-Agent": USER_AGENT}

    def _backoff(self, attempt: int, retry_after: str | None = None) -> float:
        """Exponential back-off with equal jitter, capped; a server's Retry-After wins when given."""
        if retry_after and retry_after.strip().isdigit():
            return min(MAX_BACKOFF_S, float(retry_after))
        step = min(MAX_BACKOFF_S, self.settings.retry_base_s * 2**attempt)
        return step / 2 + self._jitter() * step / 2

    async def _pace(self) -> None:
        """Slow down while the account's rate-limit pool runs low (Heroku refills ~75 tokens/min)."""
        floor = self.settings.rate_limit_floor
        remaining = self.rate_limit_remaining
        if remaining is not None and remaining < floor:
            delay = self.settings.retry_base_s * (floor - remaining) / floor
            logger.info("RateLimit-Remaining is %s; pausing %.2fs before the next call", remaining, delay)
            await self._sleep(delay)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        raw = response.headers.get("RateLimit-Remaining")
        if raw is not None and raw.strip().lstrip("-").isdigit():
            self.rate_limit_remaining = int(raw)

    # -- requests -------------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None,
        app: str | None = None,
    ) -> httpx.Response:
        """Send one call, pacing on a low rate limit and retrying 429, 5xx and connection errors.

        Raises:
            PlatformAPIError: on any error answer, or when the retries are used up.
        """
        import httpx

        send_headers = {**self._auth_headers(), **(headers or {})}
        url = self.settings.heroku_api_url + path
        attempt = 0
        while True:
            await self._pace()
            retry_after: str | None = None
            try:
                response = await self._client().request(method, url, json=json, headers=send_headers)
            except httpx.TimeoutException:
                failure = PlatformAPIError(
                    f"the Heroku Platform API did not answer {method} {path} within "
                    f"{self.settings.request_timeout_s:g}s (tried {attempt + 1} times); try again shortly",
                    error_id="timeout",
                )
            except httpx.TransportError as exc:
                failure = PlatformAPIError(
                    f"cannot reach the Heroku Platform API at {self.settings.heroku_api_url} "
                    f"({type(exc).__name__}, tried {attempt + 1} times); check HEROKU_API_URL and the network",
                    error_id="unavailable",
                )
            else:
                self._note_rate_limit(response)
                status = response.status_code
                if status < 400:
                    return response
                if status != 429 and status not in RETRYABLE_STATUS:
                    raise self._error(response, method, path, app)
                failure = self._error(response, method, path, app, attempts=attempt + 1)
                retry_after = response.headers.get("Retry-After")
            if attempt >= self.settings.max_retries:
                raise failure
            delay = self._backoff(attempt, retry_after)
            logger.info("%s %s failed (%s); retry %d in %.2fs", method, path, failure.error_id, attempt + 1, delay)
            await self._sleep(delay)
            attempt += 1
            self.retries += 1

    def _error(self, response: httpx.Response, method: str, path: str, app: str | None,
               attempts: int | None = None) -> PlatformAPIError:
        return error_from_response(response, method, path, app=app, app_path=app_path(app) if app else None,
                                   secrets=self.settings.secrets, attempts=attempts)

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PlatformAPIError(
                f"the Heroku Platform API answered {path} with something that is not JSON "
                f"(HTTP {response.status_code}); is HEROKU_API_URL right?", status=response.status_code,
            ) from None

    async def get(self, path: str, *, app: str | None = None) -> Any:
        """GET one resource and return its JSON."""
        return self._json(await self.request("GET", path, app=app), path)

    async def post(self, path: str, body: dict[str, Any], *, app: str | None = None) -> Any:
        """POST a JSON body and return the JSON answer."""
        return self._json(await self.request("POST", path, json=body, app=app), path)

    async def list(
        self, path: str, *, range_field: str = "id", order: str | None = None,
        max_items: int | None = None, page_size: int | None = None, app: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET a collection, following `Next-Range` on 206 answers until done or `max_items` are in.

        The first `Range` asks for `page_size`, else `max_items`, else Heroku's default page of 200
        (capped at Heroku's maximum of 1000).
        """
        page = min(MAX_PAGE_SIZE, page_size or max_items or DEFAULT_PAGE_SIZE)
        range_header = f"{range_field} ..; max={page}" + (f", order={order}" if order else "")
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            response = await self.request("GET", path, headers={"Range": range_header}, app=app)
            data = self._json(response, path)
            if not isinstance(data, list):
                raise PlatformAPIError(f"expected a list from {path}, got {type(data).__name__}")
            items.extend(data)
            if max_items is not None and len(items) >= max_items:
                return items[:max_items]
            next_range = response.headers.get("Next-Range")
            if response.status_code != 206 or not next_range:
                return items
            range_header = next_range
        logger.warning("stopped listing %s after %d pages", path, MAX_PAGES)
        return items
