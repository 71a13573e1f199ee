"""Heroku's error answers `{id, message, url}` turned into messages a model (and a person) can act on."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.common.redact import redact_text

if TYPE_CHECKING:
    import httpx

__all__ = ["MISSING_KEY", "PlatformAPIError", "error_from_response"]

MISSING_KEY = (
    "HEROKU_API_KEY is not set, so the Heroku Platform API cannot be called; create a token with "
    "`heroku authorizations:create --short` and set HEROKU_API_KEY (analyze_logs on pasted log text "
    "and http_probe work without it)"
)


class PlatformAPIError(ToolError):
    """A Platform API call failed in a way the caller (and the model) can act on."""

    def __init__(self, message: str, *, status: int | None = None, error_id: str | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.request_id = request_id


def error_from_response(response: httpx.Response, method: str, path: str, *, app: str | None,
                        app_path: str | None, secrets: tuple[str, ...], attempts: int | None = None) -> PlatformAPIError:
    """The `PlatformAPIError` for an error answer; Heroku's message is redacted of `secrets`."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error_id = str(body.get("id") or f"http_{status}")
    message = redact_text(str(body.get("message") or response.reason_phrase or "no message"), secrets).strip()
    request_id = response.headers.get("Request-Id")
    if status == 401 or error_id == "unauthorized":
        text = (f"the Heroku Platform API rejected HEROKU_API_KEY ({message}); create a fresh token "
                "with `heroku authorizations:create --short` and set HEROKU_API_KEY")
    elif status == 404 and app and (path == app_path or re.search(r"\bapp\b", message, re.I)):
        text = f"app {app} not found or not visible to this API key (check the name with `heroku apps`)"
    elif status == 404:
        text = f"not found: {message} ({method} {path})"
    elif status == 403:
        text = f"this API key may not read {path} ({message}); ask the app's owner for access"
    elif status == 429:
        text = (f"the Heroku API rate limit is used up ({message.splitlines()[0]}) after "
                f"{attempts} attempts; wait a minute and retry, fewer calls help")
    elif status >= 500:
        text = (f"the Heroku Platform API failed {method} {path} with HTTP {status} ({message}) "
                f"after {attempts} attempts; check https://status.heroku.com and retry")
    else:
        text = f"the Heroku Platform API refused {method} {path}: {message} ({error_id}, HTTP {status})"
    if request_id:
        text += f" [Request-Id {request_id}]"
    return PlatformAPIError(text, status=status, error_id=error_id, request_id=request_id)
