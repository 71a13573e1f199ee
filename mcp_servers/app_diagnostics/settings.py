"""Settings of the app diagnostics server, read from the environment when the server is built."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, SecretStr

from mcp_servers.common.env import Env, env_fields
from mcp_servers.common.schemas import full_output_schemas_requested

__all__ = [
    "DEFAULT_API_URL", "DEFAULT_LOG_TIMEOUT_S", "DEFAULT_PROBE_TIMEOUT_S", "DEFAULT_REQUEST_TIMEOUT_S",
    "AppDiagSettings",
]

DEFAULT_API_URL = "https://api.heroku.com"
# The Heroku MCP server gives each CLI command 15 s; one API call should need far less.
DEFAULT_REQUEST_TIMEOUT_S = 10.0
# A log session without tail returns at most the 1500-line buffer; this bounds a slow stream.
DEFAULT_LOG_TIMEOUT_S = 15.0
DEFAULT_PROBE_TIMEOUT_S = 10.0
DEFAULT_MAX_RETRIES = 3
# First back-off step; doubles per retry with jitter. The API refills ~75 tokens/min (one per 0.8 s).
DEFAULT_RETRY_BASE_S = 0.8
# Below this many remaining rate-limit tokens we pace our calls (Heroku's pool holds 4500).
DEFAULT_RATE_LIMIT_FLOOR = 100


class AppDiagSettings(BaseModel):
    """Where the Platform API is, who we are to it, and how patient we are.

    `heroku_api_key` is a `SecretStr`: its value never appears in a repr, a log or an error.
    """

    model_config = ConfigDict(frozen=True)

    heroku_api_key: SecretStr | None = None
    heroku_api_url: str = DEFAULT_API_URL
    heroku_app_name: str | None = None
    request_timeout_s: Annotated[float, Env("HEROKU_API_TIMEOUT_S")] = DEFAULT_REQUEST_TIMEOUT_S
    max_retries: Annotated[int, Env("HEROKU_API_MAX_RETRIES")] = DEFAULT_MAX_RETRIES
    retry_base_s: Annotated[float, Env("HEROKU_API_RETRY_BASE_S")] = DEFAULT_RETRY_BASE_S
    rate_limit_floor: Annotated[int, Env("HEROKU_API_RATE_LIMIT_FLOOR")] = DEFAULT_RATE_LIMIT_FLOOR
    log_timeout_s: Annotated[float, Env("HEROKU_LOG_TIMEOUT_S")] = DEFAULT_LOG_TIMEOUT_S
    http_probe_timeout_s: Annotated[float, Env("HTTP_PROBE_TIMEOUT_S")] = DEFAULT_PROBE_TIMEOUT_S
    http_probe_allow_private: Annotated[bool, Env("HTTP_PROBE_ALLOW_PRIVATE")] = False
    full_output_schemas: bool = False  # MCP_FULL_OUTPUT_SCHEMAS: publish nested row models too

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppDiagSettings:
        env = os.environ if env is None else env

        key = (env.get("HEROKU_API_KEY") or "").strip()
        return cls(
            heroku_api_key=SecretStr(key) if key else None,
            heroku_api_url=(env.get("HEROKU_API_URL") or DEFAULT_API_URL).rstrip("/"),
            heroku_app_name=(env.get("HEROKU_APP_NAME") or "").strip() or None,
            full_output_schemas=full_output_schemas_requested(env),
            **env_fields(cls, env),
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to mask in any text leaving the server."""
        return (self.heroku_api_key.get_secret_value(),) if self.heroku_api_key else ()
