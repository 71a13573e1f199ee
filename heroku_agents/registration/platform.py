"""Attach the inference add-on to an app through the Heroku Platform API.

What `heroku addons:attach MODEL_RESOURCE -a APP --as INFERENCE` does: `POST /addon-attachments`
with `{"addon": MODEL_RESOURCE, "app": APP, "name": "INFERENCE"}` (the "Create" link of the
`add-on-attachment` resource in Heroku's hyper-schema). Attaching registers the app's mcp* process
types with the add-on's MCP Toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from heroku_agents.errors import PlatformAPIError, RegistrationError
from heroku_agents.redaction import redact

__all__ = ["DEFAULT_ALIAS", "DEFAULT_PLATFORM_URL", "Attachment", "app_config_vars", "attach_inference"]

DEFAULT_PLATFORM_URL = "https://api.heroku.com"
DEFAULT_ALIAS = "INFERENCE"
ACCEPT = "application/vnd.heroku+json; version=3"


@dataclass(frozen=True)
class Attachment:
    app: str
    addon: str
    name: str
    created: bool  # False: it was attached already

    def describe(self) -> str:
        verb = "attached" if self.created else "already attached"
        return f"{self.addon} {verb} to {self.app} as {self.name} (config vars {self.name}_URL, {self.name}_KEY, {self.name}_MODEL_ID)"


def _headers(api_key: str) -> dict[str, str]:
    return {"Accept": ACCEPT, "Authorization": f"Bearer {api_key}", "User-Agent": "heroku-mcp-toolkit/0.1 register_servers"}


async def _call(http: httpx.AsyncClient, method: str, url: str, api_key: str, **kw: Any) -> Any:
    try:
        response = await http.request(method, url, headers=_headers(api_key), **kw)
    except httpx.TransportError as exc:
        raise RegistrationError(f"cannot reach the Platform API at {url} ({type(exc).__name__}); check HEROKU_API_URL") from None
    if response.is_success:
        return response.json()
    try:
        body = response.json()
        message = body.get("message") or body.get("id") or response.text
    except ValueError:
        message = response.text[:300]
    # A proxy (or a verbose error) may quote the presented token back: mask it like any secret.
    message = redact(str(message), [api_key])
    raise PlatformAPIError(message, status=response.status_code, request_id=redact(response.headers.get("request-id") or "", [api_key]) or None)


async def attach_inference(
    app: str,
    api_key: str,
    *,
    addon: str | None,
    alias: str = DEFAULT_ALIAS,
    base_url: str = DEFAULT_PLATFORM_URL,
    http: httpx.AsyncClient | None = None,
) -> Attachment:
    """Attach `addon` (a model resource such as `claude-4-sonnet-acute-41518`) to `app` as `alias`,
    unless an attachment of that name (or of that add-on) is there already.

    Raises:
        PlatformAPIError: the API refused (401/403 names HEROKU_API_KEY).
        RegistrationError: nothing attached and no add-on given.
    """
    base = base_url.rstrip("/")
    own = http is None
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    try:
        existing = await _call(http, "GET", f"{base}/apps/{quote(app, safe='')}/addon-attachments", api_key)
        for att in existing:
            if att.get("name") == alias or (addon and att.get("addon", {}).get("name") == addon):
                return Attachment(app, att["addon"]["name"], att["name"], created=False)
        if not addon:
            raise RegistrationError(
                f"{app} has no {alias} attachment; pass --addon MODEL_RESOURCE (see `heroku addons --all`), "
                f"or create one: `heroku ai:models:create claude-4-sonnet -a {app} --as {alias}`"
            )
        body = {"addon": addon, "app": app, "name": alias}
        created = await _call(http, "POST", f"{base}/addon-attachments", api_key, json=body)
        return Attachment(app, created["addon"]["name"], created["name"], created=True)
    finally:
        if own:
            await http.aclose()


async def app_config_vars(
    app: str, api_key: str, *, base_url: str = DEFAULT_PLATFORM_URL, http: httpx.AsyncClient | None = None
) -> dict[str, str]:
    """`GET /apps/{app}/config-vars` (to read INFERENCE_URL and INFERENCE_KEY after attaching)."""
    own = http is None
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    try:
        return dict(await _call(http, "GET", f"{base_url.rstrip('/')}/apps/{quote(app, safe='')}/config-vars", api_key))
    finally:
        if own:
            await http.aclose()
