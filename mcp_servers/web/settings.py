"""Settings of the `web` process (both servers over streamable HTTP), read from the environment at start."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, SecretStr

from mcp_servers.common.env import Env, env_fields

__all__ = [
    "DEFAULT_BODY_TIMEOUT_S", "DEFAULT_HEAD_TIMEOUT_S", "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_CONCURRENT",
    "DEFAULT_MAX_QUEUED", "DEFAULT_REQUEST_TIMEOUT_S", "MIN_TOKEN_LENGTH", "UnsafeExposureError", "WebSettings",
    "is_loopback",
]

MIN_TOKEN_LENGTH = 16
# A tools/call body is a few hundred bytes; 1 MiB leaves room for large arguments and stops memory abuse.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Heroku's router gives up on a request after 30 s without a first response byte (error H12).
DEFAULT_REQUEST_TIMEOUT_S = 30.0
# A client that cannot send 1 MiB in 10 s is either broken or holding the connection on purpose.
DEFAULT_BODY_TIMEOUT_S = 10.0
# The request line and headers are a few hundred bytes; a client trickling them is holding a connection.
DEFAULT_HEAD_TIMEOUT_S = 10.0
# Calls running at once per process; the database pool (PG_POOL_MAX) queues the rest of the SQL anyway.
DEFAULT_MAX_CONCURRENT = 32
# Calls waiting for a slot before new ones get 503; bounded so a burst cannot grow memory without limit.
DEFAULT_MAX_QUEUED = 64

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_SPLIT = re.compile(r"[,\s]+")
TOKEN_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class UnsafeExposureError(ValueError):
    """The process would listen beyond loopback without the protection that requires (token, hosts)."""


def is_loopback(host: str) -> bool:
    """Whether a bind address (or a Host header's name) only reaches this machine."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _names(raw: str | None) -> tuple[str, ...]:
    return tuple(part.lower() for part in _SPLIT.split(raw or "") if part)


class WebSettings(BaseModel):
    """Who may call the HTTP endpoints, and the limits every request lives within.

    `allowed_hosts` holds the names (no port) accepted in the `Host` header besides loopback; `"*"`
    turns the Host/Origin check off (only behind a proxy that sets `Host` itself).
    """

    model_config = ConfigDict(frozen=True)

    bind_host: str = "127.0.0.1"
    auth_token: SecretStr | None = None
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_body_bytes: Annotated[int, Env("MCP_MAX_BODY_BYTES", positive=True)] = DEFAULT_MAX_BODY_BYTES
    request_timeout_s: Annotated[float, Env("MCP_REQUEST_TIMEOUT_S", positive=True)] = DEFAULT_REQUEST_TIMEOUT_S
    body_timeout_s: Annotated[float, Env("MCP_BODY_TIMEOUT_S", positive=True)] = DEFAULT_BODY_TIMEOUT_S
    head_timeout_s: Annotated[float, Env("MCP_HEAD_TIMEOUT_S", positive=True)] = DEFAULT_HEAD_TIMEOUT_S
    max_concurrent: Annotated[int, Env("MCP_MAX_CONCURRENT", positive=True)] = DEFAULT_MAX_CONCURRENT
    max_queued: Annotated[int, Env("MCP_MAX_QUEUED", positive=True)] = DEFAULT_MAX_QUEUED

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, bind_host: str = "127.0.0.1") -> WebSettings:
        """Read `MCP_AUTH_TOKEN`, `HEROKU_APP_DEFAULT_DOMAIN_NAME`, `MCP_ALLOWED_HOSTS` and the limits.

        Raises:
            ValueError: a limit is not a positive number (the message names the variable).
        """
        env = os.environ if env is None else env

        hosts = _names(env.get("HEROKU_APP_DEFAULT_DOMAIN_NAME")) + _names(env.get("MCP_ALLOWED_HOSTS"))
        token = env.get("MCP_AUTH_TOKEN") or None
        return cls(
            bind_host=bind_host,
            auth_token=SecretStr(token) if token else None,
            allowed_hosts=tuple(dict.fromkeys(h.split(":")[0] if h.count(":") == 1 else h for h in hosts)),
            allowed_origins=tuple(o.rstrip("/") for o in _names(env.get("MCP_ALLOWED_ORIGINS"))),
            **env_fields(cls, env),
        )

    @property
    def exposed(self) -> bool:
        """Listening on an address other machines can reach (e.g. 0.0.0.0 on a dyno)."""
        return not is_loopback(self.bind_host)

    @property
    def any_host(self) -> bool:
        return "*" in self.allowed_hosts

    def check_safe_to_serve(self) -> None:
        """Refuse configurations that would expose the tools unprotected.

        Raises:
            UnsafeExposureError: exposed without `MCP_AUTH_TOKEN` or without any allowed host name,
                or a token too short to resist guessing. The message says what to set.
        """
        token = self.auth_token.get_secret_value() if self.auth_token else ""
        if self.auth_token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise UnsafeExposureError(
                f"MCP_AUTH_TOKEN is too short ({len(token)} characters; at least {MIN_TOKEN_LENGTH}); {TOKEN_HINT}"
            )
        if not self.exposed:
            return
        if self.auth_token is None:
            raise UnsafeExposureError(
                f"refusing to listen on {self.bind_host} without MCP_AUTH_TOKEN: anyone who reaches this address "
                f"could call the tools. Set MCP_AUTH_TOKEN (on Heroku: heroku config:set MCP_AUTH_TOKEN=...; "
                f"{TOKEN_HINT}), or bind to 127.0.0.1 for local use."
            )
        if not self.allowed_hosts:
            raise UnsafeExposureError(
                f"refusing to listen on {self.bind_host} with no allowed host name: every request would get 421. "
                "On Heroku run `heroku labs:enable runtime-dyno-metadata` (sets HEROKU_APP_DEFAULT_DOMAIN_NAME) "
                "and redeploy, or set MCP_ALLOWED_HOSTS=your.host.name (comma-separated; '*' only behind a proxy "
                "that sets Host itself)."
            )
